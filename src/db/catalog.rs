//! What the DCAT catalog says about each dataset (one per indicator category).

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(Debug, Clone, QueryableByName)]
pub struct CategoryCoverage {
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = BigInt)]
    pub observations: i64,
    #[diesel(sql_type = Integer)]
    pub period_start: i32,
    #[diesel(sql_type = Integer)]
    pub period_end: i32,
    /// Province codes of the places covered.
    #[diesel(sql_type = Array<Text>)]
    pub provinces: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub indicators: Vec<String>,
    /// The indicators' names, in Chinese and in English: the dataset's keywords.
    #[diesel(sql_type = Array<Text>)]
    pub names_zh: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub names_en: Vec<String>,
}

/// Coverage of the published (not retracted) observations, by indicator category.
pub async fn coverage(conn: &mut AsyncPgConnection) -> QueryResult<Vec<CategoryCoverage>> {
    diesel::sql_query(
        "SELECT i.category,
                count(*) AS observations,
                min(o.period_start) AS period_start,
                max(o.period_end) AS period_end,
                array_agg(DISTINCT left(o.place_code, 2) ORDER BY left(o.place_code, 2)) AS provinces,
                array_agg(DISTINCT i.code ORDER BY i.code) AS indicators,
                array_agg(DISTINCT i.name_zh ORDER BY i.name_zh) AS names_zh,
                array_agg(DISTINCT i.name_en ORDER BY i.name_en) AS names_en
         FROM observations o
         JOIN indicators i ON i.code = o.indicator_code
         WHERE o.retracted_at IS NULL
         GROUP BY i.category
         ORDER BY i.category",
    )
    .load(conn)
    .await
}
