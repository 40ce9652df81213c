//! A place: its figures by category with charts, and for a county or city the places below with
//! figures.

use super::*;

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

pub(super) async fn place(
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
