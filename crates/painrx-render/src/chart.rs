//! The diary as a chart (SVG, drawn by plotters): pain (circles), fatigue (triangles) and sleep
//! (squares) over time, so no series is told by colour alone, with a
//! dashed vertical line at each dose change or infusion session.
//!
//! Text in the SVG (marker labels included) is XML-escaped by plotters' SVG backend, so the
//! chart may be inserted into a page as markup.

use chrono::{Datelike, NaiveDate};
use painrx_engine::diary::Entry;
use painrx_engine::time::Date;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use crate::RenderError;

/// A vertical marker: a dose change, an infusion session, …
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartMark {
    pub date: Date,
    pub label: String,
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 480;
const HEADER: u32 = 64;
const FONT: &str = "sans-serif";
/// Where marker labels go: a band above the 0–10 scale.
const TOP: f64 = 12.2;

/// The three series: name in the legend, colour, value of an entry.
type Getter = fn(&Entry) -> Option<u8>;
const SERIES: [(&str, RGBColor, Getter); 3] = [
    ("Pain (0-10, 10 = worst)", RGBColor(214, 39, 40), |e| {
        Some(e.data.pain)
    }),
    ("Fatigue (0-10)", RGBColor(31, 119, 180), |e| e.data.fatigue),
    (
        "Sleep quality (0-10, 10 = best)",
        RGBColor(44, 160, 44),
        |e| e.data.sleep,
    ),
];
const MARK_COLOUR: RGBColor = RGBColor(110, 110, 110);

fn chart_error(e: impl std::fmt::Display) -> RenderError {
    RenderError::Chart(e.to_string())
}

/// Day number (days from the common era) of a date.
fn day(date: Date) -> i32 {
    date.naive().num_days_from_ce()
}

/// Position on the time axis: the day plus the fraction of the day (noon without a time).
fn position(entry: &Entry) -> f64 {
    let minutes = entry.data.time.map_or(720, |t| t.minute_of_day());
    f64::from(day(entry.data.date)) + f64::from(minutes) / 1440.0
}

/// The date at a tick that falls on a midnight; no label between days.
fn date_label(x: f64) -> String {
    if (x - x.round()).abs() > 1e-6 {
        return String::new();
    }
    // Axis positions stay within ± a few days of real dates, far inside i32.
    NaiveDate::from_num_days_from_ce_opt(x.round() as i32)
        .map(|d| d.format("%d %b %Y").to_string())
        .unwrap_or_default()
}

/// The chart as an SVG document. Entries may come in any order; an entry without a time is
/// placed at noon. Marks outside the entries' dates widen the time axis.
pub fn diary_chart(entries: &[Entry], marks: &[ChartMark]) -> Result<String, RenderError> {
    if entries.is_empty() {
        return Err(RenderError::NoEntries);
    }
    let mut points: Vec<(f64, &Entry)> = entries.iter().map(|e| (position(e), e)).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let mut marks_at: Vec<(f64, &str)> = marks
        .iter()
        .map(|m| (f64::from(day(m.date)) + 0.5, m.label.as_str()))
        .collect();
    marks_at.sort_by(|a, b| a.0.total_cmp(&b.0));
    let xs = points
        .iter()
        .map(|p| p.0)
        .chain(marks_at.iter().map(|m| m.0));
    let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    // One day either side (so one entry, or one day, still has a width).
    let (lo, hi) = (lo.floor() - 1.0, hi.ceil() + 1.0);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let (header, body) = root.split_vertically(HEADER);
        draw_header(&header)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(12)
            .margin_right(40)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(lo..hi, -0.5f64..TOP + 0.6)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("Date")
            .y_desc("Score (0-10)")
            .x_labels(((hi - lo) as usize).clamp(2, 8))
            .y_labels(14)
            .x_label_formatter(&|x| date_label(*x))
            .y_label_formatter(&|y| {
                if (-0.01..=10.01).contains(y) {
                    format!("{y:.0}")
                } else {
                    String::new()
                }
            })
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.08))
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .draw()
            .map_err(chart_error)?;

        for (k, (x, label)) in marks_at.iter().enumerate() {
            chart
                .draw_series(DashedLineSeries::new(
                    [(*x, -0.5), (*x, TOP - 0.9)],
                    6,
                    4,
                    MARK_COLOUR.stroke_width(1),
                ))
                .map_err(chart_error)?;
            // Labels alternate between two rows so neighbours do not overlap; near the right
            // edge they end at the line instead of starting there.
            let y = if k % 2 == 0 { TOP } else { TOP - 0.7 };
            let right = (*x - lo) / (hi - lo) > 0.7;
            let anchor = Pos::new(if right { HPos::Right } else { HPos::Left }, VPos::Center);
            chart
                .draw_series(std::iter::once(Text::new(
                    (*label).to_string(),
                    (*x, y),
                    (FONT, 12).into_font().color(&MARK_COLOUR).pos(anchor),
                )))
                .map_err(chart_error)?;
        }

        for (index, (_, colour, get)) in SERIES.into_iter().enumerate() {
            let series: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|(x, e)| get(e).map(|v| (*x, f64::from(v))))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    series.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(chart_error)?;
            // Markers when they can be told apart (a single entry has no line to see); each
            // series has its own shape, so nothing is told by colour alone.
            if series.len() <= 90 {
                // A circle (pain), a triangle (fatigue), a square (sleep), as in the legend.
                let drawn = match index {
                    0 => chart
                        .draw_series(series.iter().map(|p| Circle::new(*p, 4, colour.filled())))
                        .map(|_| ()),
                    1 => chart
                        .draw_series(
                            series
                                .iter()
                                .map(|p| TriangleMarker::new(*p, 6, colour.filled())),
                        )
                        .map(|_| ()),
                    _ => chart
                        .draw_series(series.iter().map(|p| {
                            EmptyElement::at(*p)
                                + Rectangle::new([(-4, -4), (4, 4)], colour.filled())
                        }))
                        .map(|_| ()),
                };
                drawn.map_err(chart_error)?;
            }
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Title and legend, above the plot.
fn draw_header(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
) -> Result<(), RenderError> {
    area.draw(&Text::new(
        "Symptom diary: pain, fatigue and sleep",
        (16, 8),
        (FONT, 20).into_font().color(&BLACK),
    ))
    .map_err(chart_error)?;
    let y = 46;
    let mut x = 16;
    for (index, (name, colour, _)) in SERIES.into_iter().enumerate() {
        area.draw(&PathElement::new(
            vec![(x, y), (x + 24, y)],
            colour.stroke_width(3),
        ))
        .map_err(chart_error)?;
        let at = (x + 12, y);
        match index {
            0 => area.draw(&Circle::new(at, 4, colour.filled())),
            1 => area.draw(&TriangleMarker::new(at, 6, colour.filled())),
            _ => area.draw(&Rectangle::new(
                [(at.0 - 4, at.1 - 4), (at.0 + 4, at.1 + 4)],
                colour.filled(),
            )),
        }
        .map_err(chart_error)?;
        area.draw(&Text::new(
            name,
            (x + 30, y - 7),
            (FONT, 13).into_font().color(&BLACK),
        ))
        .map_err(chart_error)?;
        x += 36 + 7 * i32::try_from(name.len()).unwrap_or(30);
    }
    for dash in 0..3 {
        let top = y - 10 + dash * 8;
        area.draw(&PathElement::new(
            vec![(x + 8, top), (x + 8, top + 4)],
            MARK_COLOUR.stroke_width(1),
        ))
        .map_err(chart_error)?;
    }
    area.draw(&Text::new(
        "dose change or session",
        (x + 16, y - 7),
        (FONT, 13).into_font().color(&BLACK),
    ))
    .map_err(chart_error)
}
