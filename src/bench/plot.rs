//! `mlqd bench --plot FILE.svg`: drain throughput against worker concurrency (plotters, SVG).

use std::path::Path;

use plotters::prelude::*;

use super::Report;
use crate::error::{Error, Result};

/// Draws drain (and enqueue) jobs/s for each concurrency measured.
pub fn throughput_svg(report: &Report, path: &Path) -> Result<()> {
    let fail = |e: String| Error::invalid(format!("cannot draw {}: {e}", path.display()));
    let mut runs: Vec<_> = report.runs.iter().collect();
    runs.sort_by_key(|r| r.concurrency);
    if runs.is_empty() {
        return Err(fail("no runs to plot".into()));
    }
    let max_c = runs.iter().map(|r| r.concurrency).max().unwrap_or(1) as f64;
    let max_y = runs.iter().map(|r| r.drain_per_s).fold(1.0, f64::max) * 1.2;
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let caption = format!(
        "mlqd drain throughput ({} no-op jobs, {} B payloads, redis {})",
        report.jobs, report.payload_bytes, report.redis_version
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_c + 1.0, 0.0..max_y)
        .map_err(|e| fail(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc("worker concurrency")
        .y_desc("jobs/s")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    let points: Vec<(f64, f64)> = runs
        .iter()
        .map(|r| (r.concurrency as f64, r.drain_per_s))
        .collect();
    chart
        .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))
        .map_err(|e| fail(e.to_string()))?
        .label("drain jobs/s")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(
            points
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 4, BLUE.filled())),
        )
        .map_err(|e| fail(e.to_string()))?;
    chart
        .draw_series(points.iter().map(|&(x, y)| {
            Text::new(
                format!("{y:.0}"),
                (x, y + max_y * 0.03),
                ("sans-serif", 13).into_font(),
            )
        }))
        .map_err(|e| fail(e.to_string()))?;
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Run;

    #[test]
    fn draws_an_svg_with_every_point() {
        let report = Report {
            jobs: 1000,
            payload_bytes: 16,
            redis_version: "7.0.15".into(),
            runs: [1usize, 2, 4, 8]
                .iter()
                .map(|&c| Run {
                    concurrency: c,
                    drain_per_s: 5000.0 * c as f64,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let path = std::env::temp_dir().join(format!("mlqd-plot-{}.svg", rand::random::<u32>()));
        throughput_svg(&report, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for label in ["5000", "10000", "20000", "40000", "worker concurrency"] {
            assert!(svg.contains(label), "{label} missing");
        }
    }
}
