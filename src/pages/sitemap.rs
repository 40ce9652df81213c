//! For search engines (the sitemap), and the stylesheet.

use super::*;

pub(super) async fn sitemap(
    req: HttpRequest,
    db: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
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

pub(super) async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(STYLESHEET)
}
