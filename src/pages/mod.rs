//! Web pages for people: a township's figures in charts and in the report's own words, an
//! indicator across places, a source with every quoted sentence highlighted, the releases.
//! Server-rendered HTML (askama templates compiled into the binary, `templates/`), readable with
//! JavaScript off; charts are SVG drawn here (`chart.rs`). Pages read through the same query
//! layer and `db` functions as the API, and share its ETag/304, response cache, security headers
//! and CSP (they run no script at all).

pub mod chart;
mod home;
mod indicator;
mod place;
mod releases;
mod sitemap;
mod source;
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
    cfg.route("/", web::get().to(home::home))
        .route("/places/{code}", web::get().to(place::place))
        .route("/indicators/{code}", web::get().to(indicator::indicator))
        .route("/sources/{id}", web::get().to(source::source))
        .route("/releases", web::get().to(releases::releases))
        .route("/releases/{id}", web::get().to(releases::release))
        .route("/sitemap.xml", web::get().to(sitemap::sitemap))
        .route("/assets/site.css", web::get().to(sitemap::stylesheet));
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
