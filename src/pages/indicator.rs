//! An indicator: every place with data, in a table sorted by links, and a chart.

use super::*;

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

pub(super) async fn indicator(
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
