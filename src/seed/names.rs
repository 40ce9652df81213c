//! English names: toneless pinyin of the name's stem, capitalised, followed by the English word
//! for its administrative suffix. 双胜镇 → "Shuangsheng Town", 恩阳区 → "Enyang District",
//! 四川省 → "Sichuan Province". Syllables are joined as in Hanyu Pinyin orthography, with an
//! apostrophe before a syllable that starts with a, o or e (西安 → "Xi'an").

use pinyin::ToPinyin;

use crate::domain::Level;

/// Administrative suffixes, longest first, with their English words. A name whose suffix is not
/// listed (农场, 开发区, …) is written in pinyin whole.
const SUFFIXES: &[(&str, &str)] = &[
    ("特别行政区", "Special Administrative Region"),
    ("省直辖县级行政区划", "County-level Divisions"),
    ("自治区直辖县级行政区划", "County-level Divisions"),
    ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"),
    ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"),
    ("市辖区", "City Districts"),
    ("民族乡", "Ethnic Township"),
    ("民族苏木", "Ethnic Sumu"),
    ("街道", "Subdistrict"),
    ("地区", "Prefecture"),
    ("社区", "Community"),
    ("林区", "Forestry District"),
    ("苏木", "Sumu"),
    ("省", "Province"),
    ("市", "City"),
    ("盟", "League"),
    ("县", "County"),
    ("区", "District"),
    ("旗", "Banner"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
];

/// Readings for characters whose first dictionary reading is not the one place names use.
const READINGS: &[(char, &str)] = &[
    ('长', "chang"),
    ('重', "chong"),
    ('都', "du"),
    ('厦', "xia"),
    ('乐', "le"),
    ('行', "xing"),
    ('蚌', "beng"),
    ('曲', "qu"),
    ('会', "hui"),
    ('单', "shan"),
    ('大', "da"),
    ('石', "shi"),
    ('藏', "zang"),
    ('调', "diao"),
    ('朝', "chao"),
    ('沈', "shen"),
    ('阿', "a"),
    ('柏', "bai"),
    ('广', "guang"),
    ('尾', "wei"),
    ('便', "bian"),
    ('铺', "pu"),
    ('埔', "pu"),
    ('堡', "bao"),
    ('场', "chang"),
    ('营', "ying"),
    ('解', "jie"),
    ('秘', "mi"),
    ('查', "zha"),
    ('六', "liu"),
    ('角', "jiao"),
    ('滑', "hua"),
    ('济', "ji"),
    ('车', "che"),
    ('传', "chuan"),
    ('和', "he"),
    ('干', "gan"),
    ('塔', "ta"),
    ('垭', "ya"),
];

/// Stems whose official romanisation is not plain pinyin.
const STEMS: &[(&str, &str)] = &[("陕西", "Shaanxi")];

/// The toneless pinyin syllables of each Chinese character of `text`; other characters are kept.
fn syllables(text: &str) -> Vec<String> {
    text.chars()
        .zip(text.to_pinyin())
        .map(|(c, p)| {
            if let Some((_, reading)) = READINGS.iter().find(|(r, _)| *r == c) {
                (*reading).to_owned()
            } else {
                match p {
                    Some(p) => p.plain().to_owned(),
                    None => c.to_string(),
                }
            }
        })
        .collect()
}

/// Toneless pinyin of `text`, syllables joined, first letter capitalised.
pub fn pinyin_word(text: &str) -> String {
    if let Some((_, word)) = STEMS.iter().find(|(stem, _)| *stem == text) {
        return (*word).to_owned();
    }
    let mut word = String::new();
    for (i, syllable) in syllables(text).iter().enumerate() {
        if i > 0 && syllable.starts_with(['a', 'o', 'e']) {
            word.push('\'');
        }
        word.push_str(syllable);
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => word,
    }
}

/// Lower-case toneless pinyin with nothing between syllables, ü typed as v (as pinyin input
/// methods do): the key `q` searches.
pub fn search_key(name_zh: &str) -> String {
    syllables(name_zh)
        .concat()
        .chars()
        .map(|c| if c == 'ü' { 'v' } else { c })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The English name of a place.
pub fn english_name(name_zh: &str, level: Level) -> String {
    for (suffix, english) in SUFFIXES {
        if let Some(stem) = name_zh.strip_suffix(suffix) {
            if stem.is_empty() {
                return (*english).to_owned();
            }
            // Beijing, Tianjin, Shanghai and Chongqing are province-level municipalities.
            let english = if *suffix == "市" && level == Level::Province {
                "Municipality"
            } else {
                english
            };
            return format!("{} {}", pinyin_word(stem), english);
        }
    }
    pinyin_word(name_zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_convention_on_known_names() {
        assert_eq!(english_name("双胜镇", Level::Township), "Shuangsheng Town");
        assert_eq!(english_name("恩阳区", Level::County), "Enyang District");
        assert_eq!(english_name("巴中市", Level::City), "Bazhong City");
        assert_eq!(english_name("四川省", Level::Province), "Sichuan Province");
        assert_eq!(
            english_name("重庆市", Level::Province),
            "Chongqing Municipality"
        );
        assert_eq!(english_name("西安市", Level::City), "Xi'an City");
        assert_eq!(
            english_name("红岩社区", Level::Village),
            "Hongyan Community"
        );
        assert_eq!(english_name("塔子垭村", Level::Village), "Taziya Village");
        assert_eq!(
            english_name("东华门街道", Level::Township),
            "Donghuamen Subdistrict"
        );
        assert_eq!(english_name("市辖区", Level::City), "City Districts");
        assert_eq!(english_name("陕西省", Level::Province), "Shaanxi Province");
    }

    #[test]
    fn search_keys_are_plain_lower_case() {
        assert_eq!(search_key("双胜镇"), "shuangshengzhen");
        assert_eq!(search_key("西安市"), "xianshi");
        assert_eq!(search_key("绿水村"), "lvshuicun");
    }
}
