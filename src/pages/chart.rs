//! Charts drawn on the server as SVG: no script, no library, readable by any browser and
//! printable. One mark per figure; the figures' table beside the chart is its text
//! alternative, and each mark has a `<title>` a screen reader and a pointer can read.

use std::fmt::Write;

/// One bar: its label under the axis, its height, what its tooltip says, and whether it is a
/// target (drawn hollow).
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub title: String,
    pub target: bool,
}

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const LEFT: f64 = 8.0;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bar chart of `bars` in their order, titled `title` (for assistive technology; the page
/// shows its own heading). `id` makes the title's id unique on the page.
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let min = bars.iter().map(|b| b.value).fold(0.0_f64, f64::min);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let plot = HEIGHT - TOP - BOTTOM;
    let zero = TOP + plot * (max / span);
    let slot = (WIDTH - 2.0 * LEFT) / bars.len().max(1) as f64;
    let width = (slot * 0.6).min(64.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{zero:.1}" x2="{:.1}" y2="{zero:.1}"/>"#,
        WIDTH - LEFT
    );
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
        let h = plot * (bar.value.abs() / span);
        let y = if bar.value >= 0.0 { zero - h } else { zero };
        let class = if bar.target { "mark target" } else { "mark" };
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{width:.1}" height="{:.1}"><title>{}</title></rect>"#,
            h.max(1.0),
            escape(&bar.title)
        );
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x + width / 2.0,
            HEIGHT - BOTTOM + 16.0,
            escape(&bar.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mark_per_bar_and_text_escaped() {
        let svg = bars(
            "c1",
            "A < B",
            &[
                Bar {
                    label: "2016–2020".into(),
                    value: 4459.0,
                    title: "4,459".into(),
                    target: false,
                },
                Bar {
                    label: "2021".into(),
                    value: 0.0,
                    title: "0".into(),
                    target: true,
                },
            ],
        );
        assert_eq!(svg.matches("<rect class=\"mark").count(), 2);
        assert!(svg.contains("A &lt; B"));
        assert!(svg.contains("mark target"));
    }
}
