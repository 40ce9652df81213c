//! From what a document says to a normalized figure: the number as written (`2.79`, `1.8万`,
//! `三`, `两`, `第一`), the unit as written (`亿元`, `公顷`, `%`, `户`) in the indicator's
//! canonical unit, and the qualifier the quote puts around the figure (`300余组` is more than
//! 300, `95%以上` at least 95). Simplified and traditional characters alike (`億`, `萬`, `餘`).
//! A unit this module does not know, or one that does not fit the indicator, is an error naming
//! it: never a guess.

use std::str::FromStr;

use bigdecimal::BigDecimal;

use crate::domain::{Qualifier, ValueType};

/// Counter words: a count of things, whatever the things are.
const COUNTERS: &[&str] = &[
    "个", "個", "户", "戶", "人", "名", "组", "組", "座", "条", "條", "起", "件", "例", "次", "处",
    "處", "届", "屆", "大", "家", "所", "项", "項", "村", "辆", "輛", "台", "套", "只", "头", "頭",
    "场", "場", "间", "間", "栋", "棟", "位", "种", "種", "批", "支", "期", "张", "張", "块", "塊",
    "口", "所", "篇", "本", "部", "把",
];

/// Where a figure stands in its quote, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Character offset of `value_as_written` in the quote.
    pub at: usize,
    pub value: BigDecimal,
    pub qualifier: Qualifier,
}

/// The number `written` says, before any unit: Arabic digits (with `,` between thousands and an
/// optional `万` or `亿` after), or Chinese numerals (`三`, `两`, `十二`, `一百二十`, `第一`,
/// `无一` for none).
pub fn number(written: &str) -> Result<BigDecimal, String> {
    let text = written.trim();
    if matches!(text, "无一" | "無一" | "无" | "無" | "零") {
        return Ok(BigDecimal::from(0));
    }
    let text = text.strip_prefix('第').unwrap_or(text);
    let (digits, scale) = match text.chars().last() {
        Some('万' | '萬') => (&text[..text.len() - '万'.len_utf8()], 4),
        Some('亿' | '億') => (&text[..text.len() - '亿'.len_utf8()], 8),
        _ => (text, 0),
    };
    let arabic = digits.replace([',', '，'], "");
    if !arabic.is_empty() && arabic.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let value = BigDecimal::from_str(&arabic).map_err(|e| format!("{written:?}: {e}"))?;
        return Ok(value * BigDecimal::from(10u64.pow(scale)));
    }
    let chinese = text.replace(['两', '兩'], "二");
    chinese_number::from_chinese_to_u64_ten_thousand(&chinese)
        .map(BigDecimal::from)
        .map_err(|_| format!("{written:?} is not a number this service reads"))
}

/// What a number in `unit_as_written` is multiplied by to be in `unit`, the indicator's
/// canonical unit, or why it cannot be.
pub fn scale(
    unit_as_written: &str,
    unit: &str,
    value_type: ValueType,
) -> Result<BigDecimal, String> {
    let written = unit_as_written.trim();
    let known = |factor: u64| Ok(BigDecimal::from(factor));
    let misfit = || {
        Err(format!(
            "the unit {written:?} does not measure {unit} (a {value_type} indicator)"
        ))
    };
    match value_type {
        ValueType::Money if unit == "yuan" => match written {
            "元" => known(1),
            "千元" => known(1_000),
            "万元" | "萬元" => known(10_000),
            "亿元" | "億元" => known(100_000_000),
            _ => misfit(),
        },
        ValueType::Area if unit == "mu" => match written {
            "亩" | "畝" => known(1),
            "公顷" | "公頃" => known(15),
            "平方公里" => known(1_500),
            "万亩" | "萬畝" => known(10_000),
            _ => misfit(),
        },
        ValueType::Percent => match written {
            "%" | "％" | "个百分点" | "個百分點" => known(1),
            _ => misfit(),
        },
        ValueType::Ratio => match written {
            "倍" => known(1),
            _ => misfit(),
        },
        ValueType::Rank => match written {
            "等次" | "名" | "位" => known(1),
            _ => misfit(),
        },
        ValueType::Count => {
            let (counter, factor) = match written.chars().next() {
                Some('万' | '萬') if written.chars().count() > 1 => {
                    (&written['万'.len_utf8()..], 10_000)
                }
                _ => (written, 1),
            };
            if COUNTERS.contains(&counter) {
                known(factor)
            } else {
                Err(format!(
                    "the unit {written:?} is not one this service knows for counting {unit}"
                ))
            }
        }
        _ => Err(format!(
            "the indicator's unit {unit} is not one figures can be normalized to yet"
        )),
    }
}

/// Whether `c` may be part of a written number, so that a figure is never matched inside a
/// longer one (`6` in `16`, `三` in `十三`).
fn numeral(c: char) -> bool {
    c.is_ascii_digit()
        || c == '.'
        || "零一二三四五六七八九十百千万亿两〇壹貳贰參叁肆伍陸陆柒捌玖拾佰仟萬億兩".contains(c)
}

/// Finds `value_as_written` followed by `unit_as_written` in the quote (a `余`/`多` between them
/// allowed), and reads the qualifier around it: `余`, `多`, `超过` → more than; `以上`, `至少` →
/// at least; `约`, `近` → about; `不足`, `不到` → less than; `以下`, `以内` → at most.
pub fn locate(
    quote: &str,
    value_as_written: &str,
    unit_as_written: &str,
) -> Result<(usize, Qualifier), String> {
    if value_as_written.is_empty() {
        return Err("`value_as_written` is empty".to_owned());
    }
    for (byte, _) in quote.match_indices(value_as_written) {
        let before = &quote[..byte];
        if before.chars().next_back().is_some_and(numeral) {
            continue;
        }
        let rest = &quote[byte + value_as_written.len()..];
        let (between, rest) = match rest.chars().next() {
            Some(c @ ('余' | '餘' | '多')) => (Some(c), &rest[c.len_utf8()..]),
            _ => (None, rest),
        };
        let Some(after) = rest.strip_prefix(unit_as_written) else {
            continue;
        };
        let qualifier = if between.is_some() {
            Qualifier::MoreThan
        } else if ["以上"].iter().any(|m| after.starts_with(m)) {
            Qualifier::AtLeast
        } else if ["以下", "以内", "以內"]
            .iter()
            .any(|m| after.starts_with(m))
        {
            Qualifier::AtMost
        } else if after.starts_with('多') || after.starts_with('余') || after.starts_with('餘') {
            Qualifier::MoreThan
        } else if ["约", "約", "近", "大约", "大約", "将近", "將近"]
            .iter()
            .any(|m| before.ends_with(m))
        {
            Qualifier::Approx
        } else if ["不足", "不到"].iter().any(|m| before.ends_with(m)) {
            Qualifier::LessThan
        } else if ["超过", "超過", "逾"].iter().any(|m| before.ends_with(m)) {
            Qualifier::MoreThan
        } else if ["至少"].iter().any(|m| before.ends_with(m)) {
            Qualifier::AtLeast
        } else {
            Qualifier::Exact
        };
        return Ok((before.chars().count(), qualifier));
    }
    Err(format!(
        "{value_as_written:?} followed by {unit_as_written:?} does not occur in the quote"
    ))
}

/// Why a figure could not be read, by the column at fault.
#[derive(Debug, Clone, PartialEq)]
pub enum FigureError {
    /// `unit_as_written` is unknown, or does not measure the indicator.
    Unit(String),
    /// `value_as_written` is no number, or is not in the quote with its unit.
    Value(String),
}

/// The figure a row states: where it is in the quote, its value in the indicator's unit, and
/// its qualifier. The unit is checked first: a figure in the wrong unit is refused for its unit.
pub fn figure(
    quote: &str,
    value_as_written: &str,
    unit_as_written: &str,
    unit: &str,
    value_type: ValueType,
) -> Result<Figure, FigureError> {
    let factor = scale(unit_as_written, unit, value_type).map_err(FigureError::Unit)?;
    let number = number(value_as_written).map_err(FigureError::Value)?;
    let (at, qualifier) =
        locate(quote, value_as_written, unit_as_written).map_err(FigureError::Value)?;
    Ok(Figure {
        at,
        value: (number * factor).normalized(),
        qualifier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> String {
        number(text).unwrap().normalized().to_string()
    }

    #[test]
    fn numbers_in_digits_and_in_chinese() {
        assert_eq!(n("2.79"), "2.79");
        assert_eq!(n("27,865"), "27865");
        assert_eq!(n("1.8万"), "18000");
        assert_eq!(n("三"), "3");
        assert_eq!(n("两"), "2");
        assert_eq!(n("十二"), "12");
        assert_eq!(n("一百二十"), "120");
        assert_eq!(n("第一"), "1");
        assert_eq!(n("无一"), "0");
        assert_eq!(n("三萬"), "30000");
        assert!(number("若干").is_err());
    }

    #[test]
    fn units_scale_to_the_indicator_or_are_refused_by_name() {
        let yuan = |u: &str| scale(u, "yuan", ValueType::Money);
        assert_eq!(yuan("亿元").unwrap(), BigDecimal::from(100_000_000));
        assert_eq!(yuan("萬元").unwrap(), BigDecimal::from(10_000));
        let err = yuan("吨").unwrap_err();
        assert!(err.contains("吨"), "{err}");
        assert_eq!(
            scale("公顷", "mu", ValueType::Area).unwrap(),
            BigDecimal::from(15)
        );
        assert_eq!(
            scale("户", "households", ValueType::Count).unwrap(),
            BigDecimal::from(1)
        );
        assert_eq!(
            scale("万人", "persons", ValueType::Count).unwrap(),
            BigDecimal::from(10_000)
        );
        assert!(scale("吨", "households", ValueType::Count).is_err());
    }

    #[test]
    fn the_quote_says_the_qualifier() {
        let q = |quote: &str, v: &str, u: &str| locate(quote, v, u).unwrap();
        assert_eq!(q("垃圾桶300余组", "300", "组"), (3, Qualifier::MoreThan));
        assert_eq!(q("达95%以上", "95", "%"), (1, Qualifier::AtLeast));
        assert_eq!(q("约2000亩", "2000", "亩"), (1, Qualifier::Approx));
        assert_eq!(q("不足10个", "10", "个"), (2, Qualifier::LessThan));
        assert_eq!(q("餘額60餘萬元", "60", "萬元"), (2, Qualifier::MoreThan));
        // Not inside a longer number: the 6 of 16 is not a 6.
        assert_eq!(q("增长16%，新建6个", "6", "个"), (8, Qualifier::Exact));
        assert!(locate("新建6个", "6", "户").is_err());
    }

    #[test]
    fn every_figure_of_the_report_is_derived_from_its_words() {
        let report = crate::seed::report::Report::parse().unwrap();
        for o in &report.observations {
            let indicator = report
                .indicators
                .iter()
                .find(|i| i.code == o.indicator_code)
                .unwrap();
            let f = figure(
                &o.quote,
                &o.value_as_written,
                &o.unit_as_written,
                &indicator.unit,
                indicator.value_type,
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", o.quote));
            assert_eq!(f.value, o.value.normalized(), "{}", o.quote);
            assert_eq!(f.qualifier, o.qualifier, "{}", o.quote);
        }
    }
}
