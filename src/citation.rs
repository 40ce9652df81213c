//! Citations: how to credit one observation, in Chinese and in English.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::sources::SourceMeta;

/// A ready-to-paste reference to the source and sentence of one observation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Citation {
    #[schema(
        example = "巴中市恩阳区双胜镇人民政府：《巴中市恩阳区双胜镇2021年政府工作报告》，2021-10-25作，2021-11-24发布。原文：“累计投入财政资金27865万元”。township-stats：http://127.0.0.1:8080/v1/observations/17"
    )]
    pub zh: String,
    #[schema(
        example = "People's Government of Shuangsheng Town, Enyang District, Bazhong, \"Shuangsheng Town, Enyang District, Bazhong: 2021 Government Work Report\", delivered 2021-10-25, published 2021-11-24. Quoted: \"累计投入财政资金27865万元\". township-stats: http://127.0.0.1:8080/v1/observations/17"
    )]
    pub en: String,
}

/// Everything needed to cite observations: the sources and the public address of the API.
pub struct Citer {
    base_url: String,
    sources: HashMap<String, SourceMeta>,
}

impl Citer {
    /// `base_url` is scheme and host with no trailing slash (`https://stats.example.org`).
    pub fn new(base_url: &str, sources: Vec<SourceMeta>) -> Citer {
        Citer {
            base_url: base_url.trim_end_matches('/').to_owned(),
            sources: sources.into_iter().map(|s| (s.id.clone(), s)).collect(),
        }
    }

    /// The URL of an observation in this API.
    pub fn url(&self, observation_id: i64) -> String {
        format!("{}/v1/observations/{observation_id}", self.base_url)
    }

    pub fn cite(&self, observation_id: i64, source_id: &str, quote: &str) -> Citation {
        let url = self.url(observation_id);
        match self.sources.get(source_id) {
            Some(s) => {
                // Both dates when the document was delivered before it was published, and
                // the original's address when it is known.
                let (dates_zh, dates_en) = match s.delivered_on {
                    Some(d) if d != s.published_on => (
                        format!("{d}作，{}发布", s.published_on),
                        format!("delivered {d}, published {}", s.published_on),
                    ),
                    _ => (s.published_on.to_string(), s.published_on.to_string()),
                };
                let (online_zh, online_en) = match &s.url {
                    Some(address) => (format!("网址：{address}。"), format!("Online: {address}. ")),
                    None => (String::new(), String::new()),
                };
                Citation {
                    zh: format!(
                        "{}：《{}》，{dates_zh}。{online_zh}原文：“{quote}”。township-stats：{url}",
                        s.publisher_zh, s.title_zh
                    ),
                    en: format!(
                        "{}, \"{}\", {dates_en}. {online_en}Quoted: \"{quote}\". township-stats: {url}",
                        s.publisher_en, s.title_en
                    ),
                }
            }
            None => Citation {
                zh: format!("来源 {source_id}。原文：“{quote}”。township-stats：{url}"),
                en: format!("Source {source_id}. Quoted: \"{quote}\". township-stats: {url}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn source(delivered_on: Option<NaiveDate>, url: Option<&str>) -> SourceMeta {
        SourceMeta {
            id: "r".to_owned(),
            title_zh: "报告".to_owned(),
            title_en: "Report".to_owned(),
            publisher_zh: "镇政府".to_owned(),
            publisher_en: "Town government".to_owned(),
            published_on: NaiveDate::from_ymd_opt(2021, 11, 24).unwrap(),
            delivered_on,
            url: url.map(str::to_owned),
            licence: "CC0-1.0".to_owned(),
            sha256: String::new(),
            place_code: None,
        }
    }

    #[test]
    fn a_citation_carries_both_dates_and_the_original_when_known() {
        let delivered = NaiveDate::from_ymd_opt(2021, 10, 25);
        let citer = Citer::new(
            "https://s.example",
            vec![source(delivered, Some("https://gov.example/r"))],
        );
        let c = citer.cite(7, "r", "一句");
        assert_eq!(
            c.en,
            "Town government, \"Report\", delivered 2021-10-25, published 2021-11-24. \
             Online: https://gov.example/r. Quoted: \"一句\". township-stats: https://s.example/v1/observations/7"
        );
        assert_eq!(
            c.zh,
            "镇政府：《报告》，2021-10-25作，2021-11-24发布。网址：https://gov.example/r。原文：“一句”。\
             township-stats：https://s.example/v1/observations/7"
        );
        // No delivery date, no address: neither is invented.
        let citer = Citer::new("https://s.example", vec![source(None, None)]);
        let c = citer.cite(7, "r", "一句");
        assert_eq!(
            c.en,
            "Town government, \"Report\", 2021-11-24. Quoted: \"一句\". township-stats: https://s.example/v1/observations/7"
        );
    }
}
