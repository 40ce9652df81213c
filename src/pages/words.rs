//! Figures in words, as a reader of a page wants them: the value as the report wrote it, with
//! its qualifier ("300 多户", "at least 95 %"), beside the value in the indicator's unit with its
//! digits grouped ("278,650,000 yuan").

use bigdecimal::BigDecimal;

use crate::domain::{Lang, Qualifier};

/// A period of years: "2021" or "2016–2020".
pub fn period(start: i32, end: i32) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}–{end}")
    }
}

/// Every digit of `value`, the integer part grouped by thousands: `278,650,000`, `2.79`.
pub fn grouped(value: &BigDecimal) -> String {
    let plain = crate::views::plain_decimal(value);
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(plain.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// The canonical unit of an indicator in the page's language (`yuan` → 元).
pub fn unit(unit: &str, lang: Lang) -> &str {
    let zh = match unit {
        "yuan" => "元",
        "mu" => "亩",
        "persons" => "人",
        "households" => "户",
        "percent" => "%",
        "times" => "倍",
        "cases" => "件",
        "projects" => "个项目",
        "toilets" => "座",
        "clinics" => "个",
        "bins" => "个",
        "entities" => "个",
        "tier" => "等次",
        "events" => "次",
        "domains" => "个领域",
        "disputes" => "起",
        "sets" => "套",
        "leads" => "条",
        "villages" => "个村",
        "industries" => "个产业",
        "settlements" => "个",
        "parks" => "个园区",
        other => other,
    };
    match (lang, unit) {
        (Lang::Zh, _) => zh,
        (Lang::En, "percent") => "%",
        (Lang::En, other) => other,
    }
}

/// The figure as the report wrote it, with its qualifier: "300多户", "约95%", "27865万元".
/// `more` is the word the report used for "more than" after the number (余, 多, 餘).
pub fn as_written(qualifier: Qualifier, value: &str, unit: &str, more: char) -> String {
    match qualifier {
        Qualifier::Exact => format!("{value}{unit}"),
        Qualifier::MoreThan => format!("{value}{more}{unit}"),
        Qualifier::AtLeast => format!("{value}{unit}以上"),
        Qualifier::Approx => format!("约{value}{unit}"),
        Qualifier::LessThan => format!("不足{value}{unit}"),
        Qualifier::AtMost => format!("{value}{unit}以下"),
    }
}

/// The word for "more than" that follows `value` in `quote` (余 in "4500余亩"), if any.
pub fn more_word(quote: &str, value: &str) -> Option<char> {
    quote.match_indices(value).find_map(|(at, _)| {
        quote[at + value.len()..]
            .chars()
            .next()
            .filter(|c| matches!(c, '余' | '多' | '餘'))
    })
}

/// The qualifier in English, before the number ("at least"), or nothing for an exact figure.
pub fn qualifier_en(qualifier: Qualifier) -> &'static str {
    match qualifier {
        Qualifier::Exact => "",
        Qualifier::MoreThan => "more than ",
        Qualifier::AtLeast => "at least ",
        Qualifier::Approx => "about ",
        Qualifier::LessThan => "less than ",
        Qualifier::AtMost => "at most ",
    }
}

/// The value in the indicator's unit with its qualifier: "more than 300 households",
/// "278,650,000 元".
pub fn normalized(qualifier: Qualifier, value: &BigDecimal, unit_code: &str, lang: Lang) -> String {
    let number = grouped(value);
    let unit = unit(unit_code, lang);
    let spaced = if unit == "%" { "" } else { " " };
    match lang {
        Lang::En => format!("{}{number}{spaced}{unit}", qualifier_en(qualifier)),
        Lang::Zh => as_written(qualifier, &number, &format!("{spaced}{unit}"), '多'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn digits_are_grouped_and_none_is_lost() {
        let g = |s: &str| grouped(&BigDecimal::from_str(s).unwrap());
        assert_eq!(g("278650000"), "278,650,000");
        assert_eq!(g("4459"), "4,459");
        assert_eq!(g("2.79"), "2.79");
        assert_eq!(g("1234567.125"), "1,234,567.125");
        assert_eq!(g("-1000"), "-1,000");
        assert_eq!(g("100"), "100");
    }

    #[test]
    fn qualifiers_read_as_the_report_and_in_english() {
        assert_eq!(
            as_written(Qualifier::MoreThan, "300", "户", '多'),
            "300多户"
        );
        assert_eq!(as_written(Qualifier::AtLeast, "95", "%", '多'), "95%以上");
        assert_eq!(more_word("整理撂荒土地4500余亩", "4500"), Some('余'));
        let v = BigDecimal::from(95);
        assert_eq!(
            normalized(Qualifier::AtLeast, &v, "percent", Lang::En),
            "at least 95%"
        );
        let v = BigDecimal::from(278_650_000);
        assert_eq!(
            normalized(Qualifier::Exact, &v, "yuan", Lang::En),
            "278,650,000 yuan"
        );
        assert_eq!(
            normalized(Qualifier::Exact, &v, "yuan", Lang::Zh),
            "278,650,000 元"
        );
        assert_eq!(period(2016, 2020), "2016–2020");
    }
}
