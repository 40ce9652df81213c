//! A source: its metadata and full text, every quoted sentence highlighted and linked to its
//! figures.

use super::*;

/// A piece of the source's text: plain, or a quoted span with the figures that quote it.
pub enum Piece {
    Text(String),
    Mark {
        /// The anchor figure pages link to: `q{start}-{end}` of each span it covers.
        ids: Vec<String>,
        text: String,
        figures: Vec<(String, String)>,
    },
}

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    frame: Frame,
    title: String,
    meta: SourceMeta,
    publisher: String,
    pieces: Vec<Piece>,
    quoted: usize,
}

/// A highlight being built: its span in characters, its anchors, its figures' links.
type Highlight = (usize, usize, Vec<String>, Vec<(String, String)>);

/// The text cut into plain pieces and highlighted spans. Overlapping quotes are one highlight,
/// with the anchors of each.
fn pieces(text: &str, figures: &[Figure], spans: &[(usize, usize)], lang: Lang) -> Vec<Piece> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| spans[i]);
    // Merged spans: (start, end, the ids and figures inside).
    let mut merged: Vec<Highlight> = Vec::new();
    for i in order {
        let (start, end) = spans[i];
        let f = &figures[i];
        let id = format!("q{start}-{end}");
        let link = (
            format!("{}#{}", f.place.href, f.anchor),
            format!("{} {}", f.indicator_name, f.value),
        );
        match merged.last_mut() {
            Some(last) if start < last.1 => {
                last.1 = last.1.max(end);
                if !last.2.contains(&id) {
                    last.2.push(id);
                }
                last.3.push(link);
            }
            _ => merged.push((start, end, vec![id], vec![link])),
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end, ids, figures) in merged {
        let (start, end) = (start.min(chars.len()), end.min(chars.len()));
        if start > at {
            out.push(Piece::Text(chars[at..start].iter().collect()));
        }
        out.push(Piece::Mark {
            ids,
            text: chars[start..end].iter().collect(),
            figures,
        });
        at = end.max(at);
    }
    if at < chars.len() {
        out.push(Piece::Text(chars[at..].iter().collect()));
    }
    let _ = lang;
    out
}

pub(super) async fn source(
    req: HttpRequest,
    db: web::Data<Database>,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let id = id.into_inner();
    let known = known(&req, &db).await?;
    let (meta, text) = db
        .run(async |conn| {
            let meta = db::sources::find(conn, &id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no source has the id `{id}`")))?;
            let text = db::sources::content(conn, &id).await?.unwrap_or_default();
            Ok((meta, text))
        })
        .await?;
    let filter = ObservationFilter {
        source: Some(meta.id.clone()),
        ..ObservationFilter::default()
    };
    let (rows, _) = figures(&req, &db, filter, Sort::Id).await?;
    let spans: Vec<(usize, usize)> = rows
        .iter()
        .map(|(o, _, _)| (o.quote_start.max(0) as usize, o.quote_end.max(0) as usize))
        .collect();
    let figures: Vec<Figure> = rows.iter().map(|r| figure(r, lang, &known)).collect();
    let pieces = pieces(&text, &figures, &spans, lang);
    let quoted = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Mark { .. }))
        .count();
    let title = lang.pick(&meta.title_zh, &meta.title_en).to_owned();
    let publisher = lang.pick(&meta.publisher_zh, &meta.publisher_en).to_owned();
    let description = match lang {
        Lang::Zh => format!("{publisher}《{title}》全文，{} 项数据引用的句子均已标出。", figures.len()),
        Lang::En => format!("The full text of “{title}” ({publisher}), with the sentences {} figures quote highlighted.", figures.len()),
    };
    let mut frame = Frame::new(
        &req,
        lang,
        title.clone(),
        description,
        format!("/v1/sources/{}", meta.id),
        Some(format!("/v1/observations.csv?source={}&bom=true", meta.id)),
    );
    frame.cite = match lang {
        Lang::Zh => format!(
            "{publisher}：《{title}》，{}发布。SHA-256：{}。township-stats：{}",
            meta.published_on, meta.sha256, frame.canonical
        ),
        Lang::En => format!(
            "{publisher}, “{title}”, published {}. SHA-256: {}. township-stats: {}",
            meta.published_on, meta.sha256, frame.canonical
        ),
    };
    html(SourcePage {
        frame,
        title,
        meta,
        publisher,
        pieces,
        quoted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_quotes_are_one_highlight_with_both_anchors() {
        let f = |id: i64| Figure {
            id,
            anchor: format!("f{id}"),
            indicator_href: String::new(),
            indicator_name: "x".into(),
            indicator_code: "x".into(),
            place: PlaceLink {
                href: "/places/1".into(),
                name: "p".into(),
                code: "1".into(),
                parents: String::new(),
            },
            period: "2021".into(),
            period_start: 2021,
            period_end: 2021,
            target: false,
            value: "1".into(),
            written: "1".into(),
            plain: "1".into(),
            number: 1.0,
            quote: String::new(),
            quote_href: String::new(),
            note: String::new(),
            retracted: false,
        };
        let text = "甲乙丙丁戊己";
        let got = pieces(text, &[f(1), f(2)], &[(1, 3), (2, 4)], Lang::Zh);
        assert_eq!(got.len(), 3);
        match &got[1] {
            Piece::Mark { ids, text, figures } => {
                assert_eq!(ids, &["q1-3", "q2-4"]);
                assert_eq!(text, "乙丙丁");
                assert_eq!(figures.len(), 2);
            }
            Piece::Text(_) => panic!("a mark"),
        }
    }
}
