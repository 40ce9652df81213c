//! `township-stats export`: the downloads written to a directory, with a progress bar.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::citation::Citer;
use crate::db;
use crate::db::observations::{ObservationFilter, Sort};
use crate::db::places::PlaceFilter;
use crate::domain::Lang;
use crate::exports;
use crate::formats::{datapackage, jsonstat, Format};
use diesel_async::AsyncPgConnection;

/// Writes the files of `format` into `dir` and returns their names.
pub async fn write(
    conn: &mut AsyncPgConnection,
    format: Format,
    dir: &Path,
    base_url: &str,
    bom: bool,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let sources = db::sources::all(conn).await?;
    let names = std::sync::Arc::new(db::known_codes(conn).await?);
    let total = db::observations::count(conn, &ObservationFilter::default()).await?;
    let citer = Citer::new(base_url, sources.clone());
    let mut written = Vec::new();
    match format {
        Format::Csv | Format::SdmxCsv => {
            let name = if format == Format::Csv {
                "observations.csv"
            } else {
                "observations.sdmx.csv"
            };
            let mut export = exports::observations(
                names,
                ObservationFilter::default(),
                Sort::Id,
                None,
                None,
                format,
                bom,
                Lang::Zh,
                citer,
            );
            write_file(dir, name, total as u64, async |out, bar| {
                export
                    .write_all(conn, out, |rows| bar.set_position(rows))
                    .await
            })
            .await?;
            written.push(name.to_owned());
            if format == Format::Csv {
                let mut places = exports::places(PlaceFilter::default(), None, None, bom);
                write_file(dir, "places.csv", 0, async |out, _| {
                    places.write_all(conn, out, |_| {}).await
                })
                .await?;
                let mut indicators = exports::indicators(Default::default(), None, None, bom);
                write_file(dir, "indicators.csv", 0, async |out, _| {
                    indicators.write_all(conn, out, |_| {}).await
                })
                .await?;
                let mut source_rows = exports::sources(None, None, bom);
                write_file(dir, "sources.csv", 0, async |out, _| {
                    source_rows.write_all(conn, out, |_| {}).await
                })
                .await?;
                write_file(dir, "datapackage.json", 0, async |out, _| {
                    serde_json::to_writer_pretty(&mut *out, &datapackage::descriptor(&sources))?;
                    Ok(())
                })
                .await?;
                written.extend(
                    [
                        "places.csv",
                        "indicators.csv",
                        "sources.csv",
                        "datapackage.json",
                    ]
                    .map(str::to_owned),
                );
            }
        }
        Format::JsonStat | Format::Json => {
            let mut builder = jsonstat::Builder::default();
            let everything = ObservationFilter::default();
            db::observations::each(conn, &everything, Sort::Id, None, total, |row| {
                builder.push(&row)
            })
            .await?;
            let updated = db::data_updated_at(conn).await?;
            let about = jsonstat::About::of(Lang::Zh, &sources, updated);
            let body = builder.write(&[&names], &about)?;
            write_file(dir, "observations.jsonstat.json", 0, async |out, _| {
                out.write_all(&body)?;
                Ok(())
            })
            .await?;
            written.push("observations.jsonstat.json".to_owned());
        }
    }
    Ok(written)
}

async fn write_file(
    dir: &Path,
    name: &str,
    rows: u64,
    body: impl AsyncFnOnce(&mut BufWriter<File>, &ProgressBar) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let path = dir.join(name);
    let bar = if rows > 0 {
        ProgressBar::new(rows).with_style(
            ProgressStyle::with_template(
                "{msg:24} [{bar:40}] {pos}/{len} rows, {per_sec}, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        )
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_message(name.to_owned());
    let mut out = BufWriter::new(
        File::create(&path).with_context(|| format!("creating {}", path.display()))?,
    );
    body(&mut out, &bar).await?;
    out.flush()?;
    bar.finish();
    Ok(())
}
