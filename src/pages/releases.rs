//! The releases, and what one release changed.

use super::*;

#[derive(Template)]
#[template(path = "releases.html")]
struct ReleasesPage {
    frame: Frame,
    releases: Vec<ReleaseLine>,
}

pub(super) async fn releases(
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

pub(super) async fn release(
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
