//! The NBS 2023 division codes of all provinces, cities, counties and townships.

use anyhow::Context;
use serde::Deserialize;

use super::names::{english_name, search_key};
use crate::db::places::Place;
use crate::domain::Level;

macro_rules! seed_file {
    ($path:literal) => {
        ($path, include_str!(concat!("../../seed/", $path)))
    };
}

pub const FILES: [(&str, &str); 4] = [
    seed_file!("admin-divisions-2023/provinces.csv"),
    seed_file!("admin-divisions-2023/cities.csv"),
    seed_file!("admin-divisions-2023/areas.csv"),
    seed_file!("admin-divisions-2023/streets.csv"),
];

#[derive(Deserialize)]
struct Row {
    code: String,
    name: String,
    #[serde(rename = "provinceCode")]
    province_code: Option<String>,
    #[serde(rename = "cityCode")]
    city_code: Option<String>,
    #[serde(rename = "areaCode")]
    area_code: Option<String>,
}

/// Every place of the gazetteer, parents before children.
pub fn places() -> anyhow::Result<Vec<Place>> {
    let levels = [Level::Province, Level::City, Level::County, Level::Township];
    let mut places = Vec::with_capacity(45_000);
    for ((path, content), level) in FILES.iter().zip(levels) {
        let mut reader = csv::Reader::from_reader(content.as_bytes());
        for (line, row) in reader.deserialize::<Row>().enumerate() {
            let row = row.with_context(|| format!("{path}, record {}", line + 1))?;
            let parent_code = match level {
                Level::Province => None,
                Level::City => row.province_code,
                Level::County => row.city_code,
                _ => row.area_code,
            };
            anyhow::ensure!(
                Level::of_code(&row.code) == Some(level),
                "{path}: code {} does not have the length of a {level} code",
                row.code
            );
            places.push(Place {
                name_en: english_name(&row.name, level),
                search_key: search_key(&row.name),
                code: row.code,
                parent_code,
                level,
                name_zh: row.name,
            });
        }
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gazetteer_has_every_level_in_full() {
        let places = places().unwrap();
        let count = |level| places.iter().filter(|p| p.level == level).count();
        assert_eq!(count(Level::Province), 31);
        assert_eq!(count(Level::City), 342);
        assert_eq!(count(Level::County), 2_978);
        assert_eq!(count(Level::Township), 41_352);
        let shuangsheng = places.iter().find(|p| p.code == "511903114").unwrap();
        assert_eq!(shuangsheng.name_zh, "双胜镇");
        assert_eq!(shuangsheng.name_en, "Shuangsheng Town");
        assert_eq!(shuangsheng.parent_code.as_deref(), Some("511903"));
    }
}
