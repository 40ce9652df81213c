//! Citations: how to credit one observation, in Chinese and in English.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::sources::SourceMeta;

/// A ready-to-paste reference to the source and sentence of one observation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Citation {
    #[schema(
        example = "巴中市恩阳区双胜镇人民政府：《巴中市恩阳区双胜镇2021年政府工作报告》，2021-11-24。原文：“累计投入财政资金27865万元”。township-stats：http://127.0.0.1:8080/v1/observations/17"
    )]
    pub zh: String,
    #[schema(
        example = "People's Government of Shuangsheng Town, Enyang District, Bazhong, \"Shuangsheng Town, Enyang District, Bazhong: 2021 Government Work Report\", 2021-11-24. Quoted: \"累计投入财政资金27865万元\". township-stats: http://127.0.0.1:8080/v1/observations/17"
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
            Some(s) => Citation {
                zh: format!(
                    "{}：《{}》，{}。原文：“{}”。township-stats：{}",
                    s.publisher_zh, s.title_zh, s.published_on, quote, url
                ),
                en: format!(
                    "{}, \"{}\", {}. Quoted: \"{}\". township-stats: {}",
                    s.publisher_en, s.title_en, s.published_on, quote, url
                ),
            },
            None => Citation {
                zh: format!("来源 {source_id}。原文：“{quote}”。township-stats：{url}"),
                en: format!("Source {source_id}. Quoted: \"{quote}\". township-stats: {url}"),
            },
        }
    }
}
