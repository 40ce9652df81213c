//! The home page: place search, documents, indicators by category, the latest releases.

use super::*;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    frame: Frame,
    q: String,
    results: Vec<PlaceLink>,
    searched: bool,
    categories: Vec<(String, Vec<(String, String)>)>,
    sources: Vec<SourceLink>,
    releases: Vec<ReleaseLine>,
}

pub(super) async fn home(
    req: HttpRequest,
    db: web::Data<Database>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let known = known(&req, &db).await?;
    let q = query.q.clone().unwrap_or_default().trim().to_owned();
    let searched = !q.is_empty();
    let (found, indicators, newest) = db
        .run(async |conn| {
            let found = if searched {
                let filter = PlaceFilter {
                    q: Some(q.clone()),
                    ..PlaceFilter::default()
                };
                db::places::page(conn, &filter, None, 50).await?
            } else {
                Vec::new()
            };
            let indicators =
                db::indicators::page(conn, &IndicatorFilter::default(), None, 10_000).await?;
            let newest = db::releases::newest(conn, 5).await?;
            Ok((found, indicators, newest))
        })
        .await?;
    let version = query::version(&db, crate::routes::data_version(&req)).await?;
    let sources = query::sources(&db, version.version).await?;
    let results = found
        .iter()
        .map(|p| {
            place_link(
                &p.code,
                &p.name_zh,
                &p.name_en,
                lang,
                parent_names(&known, &p.code, lang),
            )
        })
        .collect();
    let mut grouped: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for i in &indicators {
        grouped.entry(i.category.clone()).or_default().push((
            with_lang(&format!("/indicators/{}", i.code), lang),
            lang.pick(&i.name_zh, &i.name_en).to_owned(),
        ));
    }
    let categories = grouped
        .into_iter()
        .map(|(c, list)| (category_name(&c, lang), list))
        .collect();
    let (title, description) = match lang {
        Lang::Zh => (
            "township-stats：中国乡镇统计数据".to_owned(),
            "全国 41,352 个乡镇的统计数据，每个数字都附有政府文件原文。".to_owned(),
        ),
        Lang::En => (
            "township-stats: statistics of China's townships".to_owned(),
            "Statistics of China's 41,352 townships, each figure with the sentence of the government document it came from.".to_owned(),
        ),
    };
    let frame = Frame::new(
        &req,
        lang,
        title,
        description,
        "/v1/catalog".to_owned(),
        None,
    );
    html(Home {
        frame,
        q,
        results,
        searched,
        categories,
        sources: sources
            .iter()
            .map(|s| source_link(s, lang, &known))
            .collect(),
        releases: newest.iter().map(|r| release_line(r, lang)).collect(),
    })
}
