//! Web pages for people: a township's figures in charts and in the report's own words, an
//! indicator across places, a source with every quoted sentence highlighted, the releases.
//! Server-rendered HTML (askama templates compiled into the binary, `templates/`), readable with
//! JavaScript off; charts are SVG drawn here (`chart.rs`). Pages read through the same query
//! layer and `db` functions as the API, and share its ETag/304, response cache, security headers
//! and CSP (they run no script at all).

pub mod chart;
pub mod words;

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db::indicators::{Indicator, IndicatorFilter};
use crate::db::observations::{ObservationFilter, ObservationWithRefs, Sort};
use crate::db::places::PlaceFilter;
use crate::db::releases::Release;
use crate::db::sources::SourceMeta;
use crate::db::{self, Database};
use crate::domain::{Kind, Lang, Level};
use crate::error::ApiError;
use crate::query::{self, ObservationRequest};
use crate::routes::PublicUrl;

/// The paths pages answer (GET and HEAD), for telling 404 from 405 and for the caching
/// middleware.
pub const PATHS: [&str; 8] = [
    "/",
    "/places/{code}",
    "/indicators/{code}",
    "/sources/{id}",
    "/releases",
    "/releases/{id}",
    "/sitemap.xml",
    "/assets/site.css",
];

/// Whether `path` is a page whose answer depends on the data (ETag, 304, response cache).
pub fn is_page(path: &str) -> bool {
    path == "/"
        || path == "/releases"
        || path == "/sitemap.xml"
        || ["/places/", "/indicators/", "/sources/", "/releases/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// The most figures one page shows; past them it says so and links the full download.
const PAGE_ROWS: i64 = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/places/{code}", web::get().to(place))
        .route("/indicators/{code}", web::get().to(indicator))
        .route("/sources/{id}", web::get().to(source))
        .route("/releases", web::get().to(releases))
        .route("/releases/{id}", web::get().to(release))
        .route("/sitemap.xml", web::get().to(sitemap))
        .route("/assets/site.css", web::get().to(stylesheet));
}

/// What every page's query may hold. Unknown parameters (a campaign tag, a typo) are ignored:
/// a page is for people, and the API is where a mistake must fail loudly.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    order: Option<String>,
}

impl PageQuery {
    fn lang(&self) -> Result<Lang, ApiError> {
        match self.lang.as_deref() {
            None | Some("") | Some("zh") => Ok(Lang::Zh),
            Some("en") => Ok(Lang::En),
            Some(other) => Err(ApiError::invalid(
                "lang",
                format!("`lang` is `zh` (the default) or `en`, got {other:?}"),
            )),
        }
    }
}

/// What every page shows around its content.
pub struct Frame {
    pub en: bool,
    pub title: String,
    pub description: String,
    /// The page's address, absolute, with `?lang=en` for the English page.
    pub canonical: String,
    /// The same page in the other language.
    pub switch_href: String,
    /// The JSON answer of the data shown (`<link rel="alternate">`, "Download JSON").
    pub json_href: String,
    /// The CSV of exactly the data shown, with a byte order mark for Excel.
    pub csv_href: Option<String>,
    pub cite: String,
}

impl Frame {
    fn new(
        req: &HttpRequest,
        lang: Lang,
        title: String,
        description: String,
        json_href: String,
        csv_href: Option<String>,
    ) -> Frame {
        let base = base_url(req);
        let path = req.path().to_owned();
        let en = lang == Lang::En;
        let canonical = format!("{base}{}", with_lang(&path, lang));
        let mut other = req.query_string().to_owned();
        other = form_urlencoded::parse(other.as_bytes())
            .filter(|(k, _)| k != "lang")
            .fold(
                form_urlencoded::Serializer::new(String::new()),
                |mut s, (k, v)| {
                    s.append_pair(&k, &v);
                    s
                },
            )
            .finish();
        let switch = if en { "" } else { "lang=en" };
        let joined = [other.as_str(), switch]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        let switch_href = if joined.is_empty() {
            path
        } else {
            format!("{path}?{joined}")
        };
        let cite = if en {
            format!("township-stats, “{title}”, {canonical}")
        } else {
            format!("township-stats：《{title}》，{canonical}")
        };
        Frame {
            en,
            title,
            description,
            canonical,
            switch_href,
            json_href,
            csv_href,
            cite,
        }
    }
}

fn base_url(req: &HttpRequest) -> String {
    req.app_data::<web::Data<PublicUrl>>()
        .map(|p| p.for_request(req))
        .unwrap_or_default()
}

/// `path` with `?lang=en` when the page is in English.
fn with_lang(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => path.to_owned(),
        Lang::En if path.contains('?') => format!("{path}&lang=en"),
        Lang::En => format!("{path}?lang=en"),
    }
}

fn html(page: impl Template) -> Result<HttpResponse, ApiError> {
    let body = page
        .render()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("rendering a page: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A category's name in the page's language.
fn category_name(category: &str, lang: Lang) -> String {
    let zh = match category {
        "agriculture" => "农业",
        "economy" => "经济",
        "governance" => "政务",
        "health" => "卫生健康",
        "poverty_alleviation" => "脱贫攻坚",
        "public_safety" => "平安建设",
        "relocation" => "易地扶贫搬迁",
        "sanitation" => "环境卫生",
        "social_welfare" => "社会保障",
        "tourism" => "旅游",
        other => other,
    };
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => {
            let spaced = category.replace('_', " ");
            let mut chars = spaced.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => spaced,
            }
        }
    }
}

/// A link to another place, with its name.
#[derive(Clone)]
pub struct PlaceLink {
    pub href: String,
    pub name: String,
    pub code: String,
    /// The names of the places above it, nearest last ("四川省 › 巴中市 › 恩阳区").
    pub parents: String,
}

fn place_link(code: &str, name_zh: &str, name_en: &str, lang: Lang, parents: String) -> PlaceLink {
    PlaceLink {
        href: with_lang(&format!("/places/{code}"), lang),
        name: lang.pick(name_zh, name_en).to_owned(),
        code: code.to_owned(),
        parents,
    }
}

/// The names of the places above `code`, from the codes that prefix it, highest first.
fn parent_names(known: &db::memo::KnownCodes, code: &str, lang: Lang) -> String {
    let mut names = Vec::new();
    for len in [2, 4, 6, 9] {
        if code.len() > len {
            if let Some(p) = known.places.get(&code[..len]) {
                names.push(lang.pick(&p.name_zh, &p.name_en).to_owned());
            }
        }
    }
    names.join(" › ")
}

/// One figure as a page shows it.
#[derive(Clone)]
pub struct Figure {
    pub id: i64,
    pub anchor: String,
    pub indicator_href: String,
    pub indicator_name: String,
    pub indicator_code: String,
    pub place: PlaceLink,
    pub period: String,
    pub period_start: i32,
    pub period_end: i32,
    pub target: bool,
    /// The value with its unit and qualifier in the indicator's unit, digits grouped.
    pub value: String,
    /// The value as the report wrote it ("27865万元").
    pub written: String,
    /// The plain value, as in the CSV.
    pub plain: String,
    pub number: f64,
    pub quote: String,
    /// The highlighted sentence in the source's page.
    pub quote_href: String,
    pub note: String,
    pub retracted: bool,
}

fn figure(row: &ObservationWithRefs, lang: Lang, known: &db::memo::KnownCodes) -> Figure {
    let (o, indicator, place) = row;
    let number = crate::views::plain_decimal(&o.value);
    Figure {
        id: o.id,
        anchor: format!("f{}", o.id),
        indicator_href: with_lang(&format!("/indicators/{}", o.indicator_code), lang),
        indicator_name: lang.pick(&indicator.name_zh, &indicator.name_en).to_owned(),
        indicator_code: o.indicator_code.clone(),
        place: place_link(
            &place.code,
            &place.name_zh,
            &place.name_en,
            lang,
            parent_names(known, &place.code, lang),
        ),
        period: words::period(o.period_start, o.period_end),
        period_start: o.period_start,
        period_end: o.period_end,
        target: o.kind == Kind::Target,
        value: words::normalized(o.qualifier, &o.value, &indicator.unit, lang),
        written: words::as_written(
            o.qualifier,
            &o.value_as_written,
            &o.unit_as_written,
            words::more_word(&o.quote, &o.value_as_written).unwrap_or('多'),
        ),
        number: number.parse().unwrap_or(0.0),
        plain: number,
        quote: o.quote.clone(),
        quote_href: format!(
            "{}#q{}-{}",
            with_lang(&format!("/sources/{}", o.source_id), lang),
            o.quote_start,
            o.quote_end
        ),
        note: o.note.clone().unwrap_or_default(),
        retracted: o.retracted_at.is_some(),
    }
}

/// Up to [`PAGE_ROWS`] observations matching `filter` in `sort`, with the total.
async fn figures(
    req: &HttpRequest,
    db: &Database,
    filter: ObservationFilter,
    sort: Sort,
) -> Result<(Vec<ObservationWithRefs>, i64), ApiError> {
    let page = query::observations(
        db,
        crate::routes::data_version(req),
        ObservationRequest {
            filter,
            sort,
            after: None,
            limit: PAGE_ROWS,
        },
    )
    .await?;
    let mut rows = page.rows;
    rows.truncate(PAGE_ROWS as usize);
    Ok((rows, page.total))
}

async fn known(
    req: &HttpRequest,
    db: &Database,
) -> Result<std::sync::Arc<db::memo::KnownCodes>, ApiError> {
    let version = query::version(db, crate::routes::data_version(req)).await?;
    query::names(db, version.version).await
}

async fn all_indicators(db: &Database) -> Result<Vec<Indicator>, ApiError> {
    db.run(async |conn| {
        Ok(db::indicators::page(conn, &IndicatorFilter::default(), None, 10_000).await?)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The home page.

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

pub struct SourceLink {
    pub href: String,
    pub title: String,
    pub publisher: String,
    pub published_on: String,
    pub place: Option<PlaceLink>,
}

pub struct ReleaseLine {
    pub href: String,
    pub id: i64,
    pub title: String,
    pub released_at: String,
    pub added: i32,
    pub changed: i32,
    pub retracted: i32,
    pub published_by: String,
}

fn release_line(r: &Release, lang: Lang) -> ReleaseLine {
    ReleaseLine {
        href: with_lang(&format!("/releases/{}", r.id), lang),
        id: r.id,
        title: r.title.clone(),
        released_at: r.released_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        added: r.observations_added,
        changed: r.observations_changed,
        retracted: r.observations_retracted,
        published_by: r.published_by.clone().unwrap_or_default(),
    }
}

fn source_link(s: &SourceMeta, lang: Lang, known: &db::memo::KnownCodes) -> SourceLink {
    SourceLink {
        href: with_lang(&format!("/sources/{}", s.id), lang),
        title: lang.pick(&s.title_zh, &s.title_en).to_owned(),
        publisher: lang.pick(&s.publisher_zh, &s.publisher_en).to_owned(),
        published_on: s.published_on.to_string(),
        place: s.place_code.as_ref().and_then(|code| {
            known.places.get(code).map(|p| {
                place_link(
                    code,
                    &p.name_zh,
                    &p.name_en,
                    lang,
                    parent_names(known, code, lang),
                )
            })
        }),
    }
}

async fn home(
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

// ---------------------------------------------------------------------------------------------
// A place.

/// An indicator's figures on a place page: the latest actual, the target beside it, every
/// figure in a table, and a chart when there is more than one period.
pub struct Series {
    pub name: String,
    pub href: String,
    pub code: String,
    pub latest: Option<Figure>,
    pub target: Option<Figure>,
    /// "67%" when the latest actual falls within the target's period.
    pub progress: String,
    pub figures: Vec<Figure>,
    pub chart: String,
}

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage {
    frame: Frame,
    name: String,
    code: String,
    level: String,
    breadcrumb: Vec<PlaceLink>,
    children: Vec<PlaceLink>,
    groups: Vec<(String, Vec<Series>)>,
    table_indicators: Vec<(String, String)>,
    table: Vec<(PlaceLink, Vec<String>)>,
    shown: usize,
    total: i64,
}

fn level_name(level: Level, lang: Lang) -> &'static str {
    match (level, lang) {
        (Level::Province, Lang::Zh) => "省级",
        (Level::City, Lang::Zh) => "地级",
        (Level::County, Lang::Zh) => "县级",
        (Level::Township, Lang::Zh) => "乡级",
        (Level::Village, Lang::Zh) => "村级",
        (Level::Province, Lang::En) => "Province",
        (Level::City, Lang::En) => "City",
        (Level::County, Lang::En) => "County",
        (Level::Township, Lang::En) => "Township",
        (Level::Village, Lang::En) => "Village",
    }
}

fn series(code: &str, figures: Vec<Figure>, lang: Lang) -> Series {
    let first = &figures[0];
    let latest = figures
        .iter()
        .filter(|f| !f.target)
        .max_by_key(|f| (f.period_end, f.period_start))
        .cloned();
    let target = figures
        .iter()
        .filter(|f| f.target)
        .max_by_key(|f| (f.period_end, f.period_start))
        .cloned();
    let progress = match (&latest, &target) {
        (Some(a), Some(t))
            if t.number > 0.0
                && a.period_start >= t.period_start
                && a.period_end <= t.period_end =>
        {
            format!("{:.0}%", a.number / t.number * 100.0)
        }
        _ => String::new(),
    };
    let periods: std::collections::HashSet<(i32, i32)> = figures
        .iter()
        .map(|f| (f.period_start, f.period_end))
        .collect();
    let chart = if periods.len() > 1 {
        let bars: Vec<chart::Bar> = figures
            .iter()
            .map(|f| chart::Bar {
                label: f.period.clone(),
                value: f.number,
                title: format!(
                    "{}{}: {}",
                    f.period,
                    match (f.target, lang) {
                        (true, Lang::Zh) => "（目标）",
                        (true, Lang::En) => " (target)",
                        _ => "",
                    },
                    f.value
                ),
                target: f.target,
            })
            .collect();
        chart::bars(&format!("chart-{code}"), &first.indicator_name, &bars)
    } else {
        String::new()
    };
    Series {
        name: first.indicator_name.clone(),
        href: first.indicator_href.clone(),
        code: code.to_owned(),
        latest,
        target,
        progress,
        figures,
        chart,
    }
}

async fn place(
    req: HttpRequest,
    db: web::Data<Database>,
    code: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let code = code.into_inner();
    let known = known(&req, &db).await?;
    let (place, ancestors, children) = db
        .run(async |conn| {
            let place = db::places::find(conn, &code)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no place has the code `{code}`")))?;
            let ancestors = db::places::ancestors(conn, &place).await?;
            let children = db::places::children(conn, &place.code).await?;
            Ok((place, ancestors, children))
        })
        .await?;
    let indicators: HashMap<String, Indicator> = all_indicators(&db)
        .await?
        .into_iter()
        .map(|i| (i.code.clone(), i))
        .collect();
    // Its own figures, grouped by category then indicator.
    let own = ObservationFilter {
        places: vec![place.code.clone()],
        ..ObservationFilter::default()
    };
    let (rows, total) = figures(&req, &db, own, Sort::Period).await?;
    let shown = rows.len();
    let mut by_indicator: BTreeMap<String, Vec<Figure>> = BTreeMap::new();
    for row in &rows {
        by_indicator
            .entry(row.0.indicator_code.clone())
            .or_default()
            .push(figure(row, lang, &known));
    }
    let mut groups: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    for (indicator, list) in by_indicator {
        let category = indicators
            .get(&indicator)
            .map(|i| i.category.clone())
            .unwrap_or_default();
        groups
            .entry(category)
            .or_default()
            .push(series(&indicator, list, lang));
    }
    let groups = groups
        .into_iter()
        .map(|(c, list)| (category_name(&c, lang), list))
        .collect();
    // Above a township: the places below with data, and a table across them.
    let (mut table_indicators, mut table) = (Vec::new(), Vec::new());
    if matches!(place.level, Level::Province | Level::City | Level::County) {
        let under = ObservationFilter {
            places: vec![place.code.clone()],
            descendants: true,
            kind: Some(Kind::Actual),
            ..ObservationFilter::default()
        };
        let (rows, _) = figures(&req, &db, under, Sort::Place).await?;
        let mut latest: BTreeMap<String, BTreeMap<String, (i32, String)>> = BTreeMap::new();
        let mut used: BTreeMap<String, String> = BTreeMap::new();
        for (o, i, _) in &rows {
            used.insert(
                o.indicator_code.clone(),
                lang.pick(&i.name_zh, &i.name_en).to_owned(),
            );
            let cell = latest
                .entry(o.place_code.clone())
                .or_default()
                .entry(o.indicator_code.clone())
                .or_insert((i32::MIN, String::new()));
            if o.period_end > cell.0 {
                *cell = (
                    o.period_end,
                    words::normalized(o.qualifier, &o.value, &i.unit, lang),
                );
            }
        }
        table_indicators = used
            .iter()
            .map(|(c, n)| (with_lang(&format!("/indicators/{c}"), lang), n.clone()))
            .collect();
        for (code, cells) in latest {
            let link = match known.places.get(&code) {
                Some(p) => place_link(
                    &code,
                    &p.name_zh,
                    &p.name_en,
                    lang,
                    parent_names(&known, &code, lang),
                ),
                None => continue,
            };
            let row = used
                .keys()
                .map(|i| cells.get(i).map(|c| c.1.clone()).unwrap_or_default())
                .collect();
            table.push((link, row));
        }
    }
    let name = lang.pick(&place.name_zh, &place.name_en).to_owned();
    let mut breadcrumb: Vec<PlaceLink> = ancestors
        .iter()
        .rev()
        .map(|p| place_link(&p.code, &p.name_zh, &p.name_en, lang, String::new()))
        .collect();
    breadcrumb.push(place_link(
        &place.code,
        &place.name_zh,
        &place.name_en,
        lang,
        String::new(),
    ));
    let trail = breadcrumb
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(" › ");
    let (title, description) = match lang {
        Lang::Zh => (
            format!("{name}（{}）统计数据", place.code),
            format!("{trail}：{total} 项统计数据，每项附政府文件原文。"),
        ),
        Lang::En => (
            format!("{name} ({}): statistics", place.code),
            format!("{trail}: {total} figures, each with the sentence of the government document it came from."),
        ),
    };
    let descend = if matches!(place.level, Level::Province | Level::City | Level::County) {
        "&descendants=true"
    } else {
        ""
    };
    let frame = Frame::new(
        &req,
        lang,
        title,
        description,
        format!("/v1/observations?place={}{descend}&limit=1000", place.code),
        Some(format!(
            "/v1/observations.csv?place={}{descend}&bom=true",
            place.code
        )),
    );
    html(PlacePage {
        frame,
        name,
        code: place.code.clone(),
        level: level_name(place.level, lang).to_owned(),
        breadcrumb,
        children: children
            .iter()
            .map(|p| place_link(&p.code, &p.name_zh, &p.name_en, lang, String::new()))
            .collect(),
        groups,
        table_indicators,
        table,
        shown,
        total,
    })
}

// ---------------------------------------------------------------------------------------------
// An indicator.

#[derive(Template)]
#[template(path = "indicator.html")]
struct IndicatorPage {
    frame: Frame,
    name: String,
    code: String,
    description: String,
    category: String,
    unit: String,
    figures: Vec<Figure>,
    total: i64,
    chart: String,
    /// Each column's header link and its `aria-sort`.
    columns: Vec<(String, String, String)>,
}

async fn indicator(
    req: HttpRequest,
    db: web::Data<Database>,
    code: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let code = code.into_inner();
    let known = known(&req, &db).await?;
    let indicator = db
        .run(async |conn| {
            db::indicators::find(conn, &code)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no indicator has the code `{code}`")))
        })
        .await?;
    let filter = ObservationFilter {
        indicators: vec![indicator.code.clone()],
        ..ObservationFilter::default()
    };
    let (rows, total) = figures(&req, &db, filter, Sort::Place).await?;
    let mut figures: Vec<Figure> = rows.iter().map(|r| figure(r, lang, &known)).collect();
    let sort = match query.sort.as_deref() {
        None | Some("") | Some("place") => "place",
        Some("period") => "period",
        Some("value") => "value",
        Some(other) => {
            return Err(ApiError::invalid(
                "sort",
                format!("`sort` is `place`, `period` or `value`, got {other:?}"),
            ))
        }
    };
    let descending = match query.order.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "order",
                format!("`order` is `asc` or `desc`, got {other:?}"),
            ))
        }
    };
    match sort {
        "period" => figures.sort_by_key(|f| (f.period_start, f.period_end, f.id)),
        "value" => figures.sort_by(|a, b| a.number.total_cmp(&b.number).then(a.id.cmp(&b.id))),
        _ => {}
    }
    if descending {
        figures.reverse();
    }
    let columns = [
        ("place", lang.pick("地方", "Place")),
        ("period", lang.pick("时期", "Period")),
        ("value", lang.pick("数值", "Value")),
    ]
    .into_iter()
    .map(|(key, label)| {
        let current = key == sort;
        let next = if current && !descending {
            "desc"
        } else {
            "asc"
        };
        let href = with_lang(
            &format!("/indicators/{}?sort={key}&order={next}", indicator.code),
            lang,
        );
        let aria = match (current, descending) {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "none",
        };
        (href, label.to_owned(), aria.to_owned())
    })
    .collect();
    let places: std::collections::HashSet<&str> =
        figures.iter().map(|f| f.place.code.as_str()).collect();
    let name = lang.pick(&indicator.name_zh, &indicator.name_en).to_owned();
    let bars: Vec<chart::Bar> = if places.len() == 1 {
        let mut by_period: Vec<&Figure> = figures.iter().collect();
        by_period.sort_by_key(|f| (f.period_start, f.period_end, f.target));
        by_period
            .into_iter()
            .map(|f| chart::Bar {
                label: f.period.clone(),
                value: f.number,
                title: format!("{}: {}", f.period, f.value),
                target: f.target,
            })
            .collect()
    } else {
        figures
            .iter()
            .filter(|f| !f.target)
            .take(40)
            .map(|f| chart::Bar {
                label: f.place.name.clone(),
                value: f.number,
                title: format!("{} {}: {}", f.place.name, f.period, f.value),
                target: false,
            })
            .collect()
    };
    let chart = if bars.len() > 1 {
        chart::bars(&format!("chart-{}", indicator.code), &name, &bars)
    } else {
        String::new()
    };
    let description = lang
        .pick(&indicator.description_zh, &indicator.description_en)
        .to_owned();
    let (title, meta) = match lang {
        Lang::Zh => (
            format!("{name}：各地数据"),
            format!(
                "{name}（{}）：{total} 项数据。{description}",
                words::unit(&indicator.unit, lang)
            ),
        ),
        Lang::En => (
            format!("{name}: every place with data"),
            format!(
                "{name} ({}): {total} figures. {description}",
                indicator.unit
            ),
        ),
    };
    let frame = Frame::new(
        &req,
        lang,
        title,
        meta,
        format!("/v1/observations?indicator={}&limit=1000", indicator.code),
        Some(format!(
            "/v1/observations.csv?indicator={}&bom=true",
            indicator.code
        )),
    );
    html(IndicatorPage {
        frame,
        name,
        code: indicator.code.clone(),
        description,
        category: category_name(&indicator.category, lang),
        unit: words::unit(&indicator.unit, lang).to_owned(),
        figures,
        total,
        chart,
        columns,
    })
}

// ---------------------------------------------------------------------------------------------
// A source, with every quoted sentence highlighted.

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

async fn source(
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

// ---------------------------------------------------------------------------------------------
// Releases.

#[derive(Template)]
#[template(path = "releases.html")]
struct ReleasesPage {
    frame: Frame,
    releases: Vec<ReleaseLine>,
}

async fn releases(
    req: HttpRequest,
    db: web::Data<Database>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let newest = db
        .run(async |conn| Ok(db::releases::newest(conn, 100).await?))
        .await?;
    let (title, description) = match lang {
        Lang::Zh => (
            "数据发布记录".to_owned(),
            "每次新增、更正或撤回数据的记录，最新在前。".to_owned(),
        ),
        Lang::En => (
            "Releases".to_owned(),
            "Every release that added, corrected or retracted figures, newest first.".to_owned(),
        ),
    };
    let frame = Frame::new(
        &req,
        lang,
        title,
        description,
        "/v1/releases".to_owned(),
        Some("/v1/releases.csv?bom=true".to_owned()),
    );
    html(ReleasesPage {
        frame,
        releases: newest.iter().map(|r| release_line(r, lang)).collect(),
    })
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage {
    frame: Frame,
    release: ReleaseLine,
    summary: String,
    figures: Vec<Figure>,
    total: i64,
}

async fn release(
    req: HttpRequest,
    db: web::Data<Database>,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = query.lang()?;
    let raw = id.into_inner();
    let id: i64 = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no release has the id `{raw}`")))?;
    let known = known(&req, &db).await?;
    let found = db
        .run(async |conn| {
            db::releases::find(conn, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no release has the id `{id}`")))
        })
        .await?;
    let filter = ObservationFilter {
        release: Some(id),
        ..ObservationFilter::default()
    };
    let (rows, total) = figures(&req, &db, filter, Sort::Id).await?;
    let title = match lang {
        Lang::Zh => format!("发布 {id}：{}", found.title),
        Lang::En => format!("Release {id}: {}", found.title),
    };
    let frame = Frame::new(
        &req,
        lang,
        title,
        found.summary.clone(),
        format!("/v1/releases/{id}"),
        Some(format!("/v1/observations.csv?release={id}&bom=true")),
    );
    html(ReleasePage {
        frame,
        release: release_line(&found, lang),
        summary: found.summary.clone(),
        figures: rows.iter().map(|r| figure(r, lang, &known)).collect(),
        total,
    })
}

// ---------------------------------------------------------------------------------------------
// For search engines, and the stylesheet.

async fn sitemap(req: HttpRequest, db: web::Data<Database>) -> Result<HttpResponse, ApiError> {
    let base = base_url(&req);
    let version = query::version(&db, crate::routes::data_version(&req)).await?;
    let sources = query::sources(&db, version.version).await?;
    let (indicators, newest) = db
        .run(async |conn| {
            let indicators =
                db::indicators::page(conn, &IndicatorFilter::default(), None, 10_000).await?;
            let newest = db::releases::newest(conn, 1000).await?;
            Ok((indicators, newest))
        })
        .await?;
    let known = known(&req, &db).await?;
    let mut paths = vec!["/".to_owned(), "/releases".to_owned()];
    let mut places = std::collections::BTreeSet::new();
    for s in sources.iter() {
        paths.push(format!("/sources/{}", s.id));
        if let Some(code) = &s.place_code {
            // The place and every place above it (codes nest), as far as they exist.
            places.extend(
                (1..=code.len())
                    .filter_map(|len| code.get(..len))
                    .filter(|prefix| known.places.contains_key(*prefix))
                    .map(str::to_owned),
            );
        }
    }
    paths.extend(places.iter().map(|code| format!("/places/{code}")));
    paths.extend(indicators.iter().map(|i| format!("/indicators/{}", i.code)));
    paths.extend(newest.iter().map(|r| format!("/releases/{}", r.id)));
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in paths {
        for lang in [Lang::Zh, Lang::En] {
            xml.push_str("  <url><loc>");
            xml.push_str(&base);
            xml.push_str(&with_lang(&path, lang).replace('&', "&amp;"));
            xml.push_str("</loc></url>\n");
        }
    }
    xml.push_str("</urlset>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .body(xml))
}

const STYLESHEET: &str = include_str!("../../assets/site.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(STYLESHEET)
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
