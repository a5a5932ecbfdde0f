//! The two-panel SVG plot of a comparison.
//!
//! # What it draws
//!
//! [`render_svg`] draws two panels over the same x axis, `distribution_bytes` per run in bytes, kB, MB or GB
//! (decimal units; the axis label names the one used): above, y = `exposed_after_compromise`; below, y =
//! `post_removal_leaks`. Each row is one point per panel at its means, with whiskers from min to max; a legend
//! below names the points (a colour per policy and a shape per implementation when both vary, otherwise a colour
//! per row). Count axes have distinct whole-number ticks. Points drawn at the same place (within a few pixels)
//! are drawn as larger hollow markers around the earlier ones, noted in the legend and returned as
//! [`Plot::warnings`]; a panel whose quantity cannot arise (no compromise, nobody leaving) says so. Text is
//! written as SVG `<text>` elements; no font is read. Only SVG is written: [`check_plot_path`] refuses any other
//! extension.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use super::{Comparison, MetricStats};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The colours of the plot's points (repeating): dark enough to read on white.
const COLOURS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The file extensions `--plot` writes (compared without regard to case).
pub const PLOT_EXTENSIONS: [&str; 1] = ["svg"];

/// Checks, before anything runs, that the plot can be written as `path`: its extension must be one of
/// [`PLOT_EXTENSIONS`] (the plot is SVG; a `.png` would otherwise get SVG bytes).
///
/// # Errors
///
/// A message naming the file, the extensions written, and what to do.
pub fn check_plot_path(path: &Path) -> Result<(), String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let supported = PLOT_EXTENSIONS.map(|e| format!(".{e}")).join(", ");
    match extension.as_deref() {
        Some(e) if PLOT_EXTENSIONS.contains(&e) => Ok(()),
        Some(e) => Err(format!(
            "--plot {}: cannot write a .{e} file; the plot is written as SVG only (supported: {supported}): \
             name the file e.g. plot.svg, and convert it yourself if you need a bitmap \
             (e.g. `rsvg-convert plot.svg -o plot.png`)",
            path.display()
        )),
        None => Err(format!(
            "--plot {}: the file name has no extension; the plot is written as SVG (supported: {supported}): \
             name the file e.g. plot.svg",
            path.display()
        )),
    }
}

/// What [`render_svg`] draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The SVG text.
    pub svg: String,
    /// One line per point drawn at the same place as earlier ones (rows in order), naming them; the plot draws
    /// such a point as a larger hollow marker around the others and says so in its legend.
    pub warnings: Vec<String>,
}

/// The plot's width, the height of its title and of each of its two panels.
const PLOT_WIDTH_PX: i32 = 960;
const TITLE_HEIGHT_PX: i32 = 64;
const PANEL_HEIGHT_PX: i32 = 380;
/// The height of one legend row.
const LEGEND_ROW_PX: i32 = 24;
/// The radius of a marker, and how much larger each marker drawn on earlier ones is.
const MARKER_PX: i32 = 6;
const MARKER_STEP_PX: i32 = 5;
/// Points whose means are this close (pixels, on both axes) are drawn at the same place.
const SAME_PLACE_PX: i32 = 4;

/// The shape of a point's marker: one per implementation when there are several (the colour is the policy's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
}

const SHAPES: [Shape; 5] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
];

impl Shape {
    /// The outline of a polygonal marker of radius `r` around (0, 0), in pixels; empty for a circle.
    fn outline(self, r: i32) -> Vec<(i32, i32)> {
        let s = r * 7 / 8;
        match self {
            Self::Circle => Vec::new(),
            Self::Square => vec![(-s, -s), (s, -s), (s, s), (-s, s)],
            Self::Triangle => vec![(0, -r), (r, r * 3 / 4), (-r, r * 3 / 4)],
            Self::TriangleDown => vec![(0, r), (r, -r * 3 / 4), (-r, -r * 3 / 4)],
            Self::Diamond => vec![(0, -r), (r, 0), (0, r), (-r, 0)],
        }
    }
}

/// A linear axis from 0 to `top` with a tick every `step`; `decimals` for the tick labels.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    top: f64,
    step: f64,
    decimals: usize,
}

impl Axis {
    /// An axis for values from 0 to `max`: 4 to 7 ticks at a "nice" step (1, 2 or 5 × 10^k), the top one tick
    /// past `max`. An `integer` axis (counts) steps by whole numbers, so its ticks are distinct integers.
    fn new(max: f64, integer: bool) -> Self {
        let max = if max.is_finite() && max > 0.0 { max } else { 0.0 };
        let raw = if max > 0.0 { max / 5.0 } else { 0.2 };
        let base = 10f64.powf(raw.log10().floor());
        let nice = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .find(|n| n * base >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0);
        let mut step = nice * base;
        if integer && step < 1.0 {
            step = 1.0;
        }
        let top = step * ((max / step).floor() + 1.0);
        // A step of 1, 2 or 5 × 10^-k needs k decimals.
        let mut decimals = 0;
        let mut scaled = step;
        while scaled < 1.0 - 1e-9 && decimals < 12 {
            scaled *= 10.0;
            decimals += 1;
        }
        Self { top, step, decimals }
    }

    /// The tick values, 0 to `top`.
    fn ticks(&self) -> Vec<f64> {
        (0..=64u32)
            .map(|i| f64::from(i) * self.step)
            .take_while(|v| *v <= self.top + self.step * 1e-6)
            .collect()
    }

    /// A tick's label: `decimals` decimals, thousands separated by commas.
    fn label(&self, value: f64) -> String {
        let text = format!("{:.*}", self.decimals, value);
        let (int, frac) = text
            .split_once('.')
            .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        match frac {
            Some(f) => format!("{sign}{grouped}.{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

/// An [`Axis`] as a plotters coordinate whose key points are exactly the axis's ticks.
struct Ticked {
    top: f64,
    ticks: Vec<f64>,
}

impl From<&Axis> for Ticked {
    fn from(axis: &Axis) -> Self {
        Self {
            top: axis.top,
            ticks: axis.ticks(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(0.0..self.top).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        0.0..self.top
    }
}

/// The unit of the x axis for distribution sizes up to `max_bytes`: bytes, kB, MB or GB (decimal: 1 kB = 1,000
/// bytes), whichever keeps the numbers below 1,000; its size in bytes and its name.
fn byte_unit(max_bytes: f64) -> (f64, &'static str) {
    [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        .into_iter()
        .find(|(size, _)| max_bytes >= *size)
        .unwrap_or((1.0, "bytes"))
}

/// One row of the comparison as the plot draws it.
struct Point {
    label: String,
    colour: RGBColor,
    shape: Shape,
    /// Min, mean and max, in the x axis's unit.
    x: (f64, f64, f64),
    /// Min, mean and max in each panel; `None` without samples.
    y: [Option<(f64, f64, f64)>; 2],
}

/// One of the plot's two panels: the metric it draws against distribution cost, and what it says when that
/// metric cannot arise in the scenario.
struct Panel {
    title: &'static str,
    short: &'static str,
    metric: &'static str,
    y_desc: &'static str,
    empty_note: Option<&'static str>,
}

/// The x axis shared by both panels: its ticks and its description.
struct XAxis {
    axis: Axis,
    desc: String,
}

/// A plotters error as the plot reports it.
fn error(e: &dyn std::fmt::Display) -> String {
    format!("drawing the plot: {e}")
}

/// The plot's text style: sans-serif of `size` pixels, anchored at `h` and centred vertically.
fn text(size: i32, h: HPos) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(h, VPos::Center))
}

/// A metric's min, mean and max, if all are finite.
fn triple(m: &MetricStats) -> Option<(f64, f64, f64)> {
    [m.min, m.mean, m.max]
        .iter()
        .all(|v| v.is_finite())
        .then_some((m.min, m.mean, m.max))
}

/// The two panels: exposure after a compromise above, post-removal leaks below, each with a note when its
/// quantity cannot arise in the scenario.
fn panels(c: &Comparison) -> [Panel; 2] {
    let no_compromise = c
        .rows
        .iter()
        .all(|row| row.metric("healing_time_s").is_none_or(|m| m.samples == 0));
    let nobody_left = c.rows.iter().all(|row| {
        row.invariant(crate::checkers::Invariant::PostRemovalSecrecy)
            .is_none_or(|i| i.not_applicable == row.runs)
    });
    [
        Panel {
            title: "Exposure after a compromise",
            short: "exposure",
            metric: "exposed_after_compromise",
            y_desc: "messages exposed after the compromise, per run",
            empty_note: no_compromise.then_some("no compromise in this scenario: nothing is exposed"),
        },
        Panel {
            title: "Post-removal leaks: what departed members still read",
            short: "post-removal leaks",
            metric: "post_removal_leaks",
            y_desc: "messages read after leaving, per run",
            empty_note: nobody_left.then_some("nobody leaves in this scenario: nothing can leak"),
        },
    ]
}

/// The comparison's policies and implementations, each once, in the order the rows first name them.
fn policies_and_implementations(c: &Comparison) -> (Vec<&str>, Vec<&str>) {
    let mut policies: Vec<&str> = Vec::new();
    let mut implementations: Vec<&str> = Vec::new();
    for row in &c.rows {
        if !policies.contains(&row.policy.as_str()) {
            policies.push(&row.policy);
        }
        if !implementations.contains(&row.implementation.as_str()) {
            implementations.push(&row.implementation);
        }
    }
    (policies, implementations)
}

/// One point per row that has distribution sizes, x in `unit_bytes`. Colour per policy and shape per
/// implementation when both vary; otherwise colour per row.
fn points(c: &Comparison, panels: &[Panel; 2], unit_bytes: f64) -> Vec<Point> {
    let (policies, implementations) = policies_and_implementations(c);
    let shared = implementations.len() <= 1;
    c.rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let x = triple(row.metric("distribution_bytes")?)?;
            let y = panels
                .each_ref()
                .map(|panel| row.metric(panel.metric).and_then(triple));
            let policy = policies.iter().position(|p| *p == row.policy).unwrap_or(0);
            let implementation = implementations
                .iter()
                .position(|i| *i == row.implementation)
                .unwrap_or(0);
            let (colour, shape) = if policies.len() > 1 && !shared {
                (policy, implementation)
            } else {
                (index, index / COLOURS.len())
            };
            let (r, g, b) = COLOURS[colour % COLOURS.len()];
            Some(Point {
                label: if shared {
                    row.policy.clone()
                } else {
                    format!("{} — {}", row.policy, row.implementation)
                },
                colour: RGBColor(r, g, b),
                shape: SHAPES[shape % SHAPES.len()],
                x: (x.0 / unit_bytes, x.1 / unit_bytes, x.2 / unit_bytes),
                y,
            })
        })
        .collect()
}

/// The x axis, distribution bytes per run up to `max_bytes`, in `unit` (of `unit_bytes` bytes).
fn x_axis(max_bytes: f64, (unit_bytes, unit): (f64, &str)) -> XAxis {
    let desc = if unit == "bytes" {
        "key distribution sent per run, in bytes".to_owned()
    } else {
        format!(
            "key distribution sent per run, in {unit} (1 {unit} = {} bytes)",
            Axis::new(0.0, true).label(unit_bytes)
        )
    };
    XAxis {
        axis: Axis::new(max_bytes / unit_bytes, unit == "bytes"),
        desc,
    }
}

/// The plot as SVG: two panels sharing the x axis (distribution bytes per run, in kB or MB), one point per row
/// in each at its means with min–max whiskers — the messages exposed after a compromise above, the post-removal
/// leaks below — and a legend naming each point (colour per policy, shape per implementation). Points at the
/// same place are drawn as concentric markers, named in the legend and in [`Plot::warnings`]. A panel whose
/// quantity cannot arise in the scenario (no compromise, nobody leaving) says so.
///
/// # Errors
///
/// A message if plotters fails to draw.
pub fn render_svg(c: &Comparison) -> Result<Plot, String> {
    let panels = panels(c);
    let max_bytes = c
        .rows
        .iter()
        .filter_map(|row| row.metric("distribution_bytes"))
        .map(|m| m.max)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let unit = byte_unit(max_bytes);
    let points = points(c, &panels, unit.0);
    let x_axis = x_axis(max_bytes, unit);
    let legend_rows = i32::try_from(points.len()).unwrap_or(i32::MAX);
    let legend_top = TITLE_HEIGHT_PX + 2 * PANEL_HEIGHT_PX;
    let height = legend_top
        .saturating_add(legend_rows.saturating_mul(LEGEND_ROW_PX))
        .saturating_add(LEGEND_ROW_PX);
    let size = (
        u32::try_from(PLOT_WIDTH_PX).unwrap_or(960),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let shorts = panels.each_ref().map(|p| p.short);
    // For each point and panel, the earlier points it is drawn on (same place, in pixels).
    let mut same_place: Vec<[Vec<usize>; 2]> = points.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(&e))?;
        draw_title(&root, c)?;
        for (p, panel) in panels.iter().enumerate() {
            for (index, under) in draw_panel(&root, p, panel, &points, &x_axis)? {
                if let Some(slot) = same_place.get_mut(index) {
                    slot[p] = under;
                }
            }
        }
        let notes: Vec<Option<String>> = same_place
            .iter()
            .map(|s| same_place_note(&labels, s, shorts))
            .collect();
        draw_legend(&root, &points, &notes, legend_top)?;
        root.present().map_err(|e| error(&e))?;
    }
    let warnings = same_place
        .iter()
        .zip(&labels)
        .filter_map(|(slot, label)| {
            let note = same_place_note(&labels, slot, shorts)?;
            Some(format!(
                "the plot draws `{label}` at the same place as {note} (drawn hollow around it)"
            ))
        })
        .collect();
    Ok(Plot { svg, warnings })
}

/// The title (the scenario) and the subtitle (the implementation when there is one, the seeds, what a point is).
fn draw_title(root: &DrawingArea<SVGBackend<'_>, Shift>, c: &Comparison) -> Result<(), String> {
    let (_, implementations) = policies_and_implementations(c);
    let mut subtitle = String::new();
    if let (true, Some(implementation)) = (implementations.len() <= 1, implementations.first()) {
        let _ = write!(subtitle, "{implementation} — ");
    }
    let _ = write!(
        subtitle,
        "seeds {}..{}; each point: the mean over the seeds, whiskers from min to max",
        c.seeds.0, c.seeds.1
    );
    root.draw(&Text::new(
        c.scenario.clone(),
        (PLOT_WIDTH_PX / 2, 22),
        text(22, HPos::Center),
    ))
    .map_err(|e| error(&e))?;
    root.draw(&Text::new(
        subtitle,
        (PLOT_WIDTH_PX / 2, 48),
        text(14, HPos::Center),
    ))
    .map_err(|e| error(&e))
}

/// A panel's chart, on which its points are drawn.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticked, Ticked>>;

/// Draws the `p`th panel — caption, axes, grid, the note when its quantity cannot arise, then its points — and
/// returns, for each point drawn, the earlier points it is drawn on.
fn draw_panel(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    p: usize,
    panel: &Panel,
    points: &[Point],
    x_axis: &XAxis,
) -> Result<Vec<(usize, Vec<usize>)>, String> {
    let p_px = i32::try_from(p).unwrap_or(0);
    let top = TITLE_HEIGHT_PX + p_px * PANEL_HEIGHT_PX;
    let area = root.clone().shrink((0, top), (PLOT_WIDTH_PX, PANEL_HEIGHT_PX));
    let y_max = points
        .iter()
        .filter_map(|point| point.y[p])
        .map(|y| y.2)
        .fold(0.0, f64::max);
    let y_axis = Axis::new(y_max, true);
    let mut chart = ChartBuilder::on(&area)
        .caption(panel.title, ("sans-serif", 17))
        .margin_left(20)
        .margin_right(40)
        .margin_top(8)
        .margin_bottom(8)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .build_cartesian_2d(Ticked::from(&x_axis.axis), Ticked::from(&y_axis))
        .map_err(|e| error(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_axis.desc.as_str())
        .y_desc(panel.y_desc)
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 13))
        .x_label_formatter(&|v| x_axis.axis.label(*v))
        .y_label_formatter(&|v| y_axis.label(*v))
        .draw()
        .map_err(|e| error(&e))?;
    if let Some(note) = panel.empty_note {
        let at = chart.backend_coord(&(x_axis.axis.top / 2.0, y_axis.top * 0.6));
        root.draw(&Text::new(
            note,
            at,
            text(15, HPos::Center).color(&RGBColor(90, 90, 90)),
        ))
        .map_err(|e| error(&e))?;
    }
    draw_points(root, &mut chart, p, points)
}

/// Draws each point of the `p`th panel — whiskers, then its marker, hollow and larger around the earlier points
/// at the same place — and returns, for each point drawn, those earlier points.
fn draw_points(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    chart: &mut Chart<'_, '_>,
    p: usize,
    points: &[Point],
) -> Result<Vec<(usize, Vec<usize>)>, String> {
    let mut placed: Vec<(usize, (i32, i32))> = Vec::new();
    let mut drawn_on = Vec::new();
    for (index, point) in points.iter().enumerate() {
        let Some((y_min, y, y_max)) = point.y[p] else {
            continue;
        };
        let (x_min, x, x_max) = point.x;
        let style = point.colour.stroke_width(2);
        chart
            .draw_series([
                PathElement::new(vec![(x_min, y), (x_max, y)], style),
                PathElement::new(vec![(x, y_min), (x, y_max)], style),
            ])
            .map_err(|e| error(&e))?;
        let at = chart.backend_coord(&(x, y));
        let under: Vec<usize> = placed
            .iter()
            .filter(|(_, other)| {
                (other.0 - at.0).abs() <= SAME_PLACE_PX && (other.1 - at.1).abs() <= SAME_PLACE_PX
            })
            .map(|(other, _)| *other)
            .collect();
        let depth = i32::try_from(under.len()).unwrap_or(0);
        let radius = MARKER_PX.saturating_add(depth.saturating_mul(MARKER_STEP_PX));
        draw_marker(root, at, point.shape, radius, point.colour, under.is_empty())?;
        drawn_on.push((index, under));
        placed.push((index, at));
    }
    Ok(drawn_on)
}

/// The legend, one row per point below the panels from `legend_top`: its marker, its label and, when it is drawn
/// at the same place as earlier points, `notes`' note naming them.
fn draw_legend(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    points: &[Point],
    notes: &[Option<String>],
    legend_top: i32,
) -> Result<(), String> {
    for (index, point) in points.iter().enumerate() {
        let row = i32::try_from(index).unwrap_or(0);
        let y = legend_top + LEGEND_ROW_PX / 2 + 6 + row * LEGEND_ROW_PX;
        draw_marker(root, (110, y), point.shape, MARKER_PX, point.colour, true)?;
        let mut label = point.label.clone();
        if let Some(Some(note)) = notes.get(index) {
            let _ = write!(label, "   (at the same place as {note}: drawn hollow around it)");
        }
        root.draw(&Text::new(label, (126, y), text(14, HPos::Left)))
            .map_err(|e| error(&e))?;
    }
    Ok(())
}

/// Which earlier points one point is drawn on, e.g. "`never` in both panels" or "`a` and `b` in the exposure
/// panel"; `None` when it is drawn on none. `under` lists them per panel, `panels` names the panels.
fn same_place_note(labels: &[String], under: &[Vec<usize>; 2], panels: [&str; 2]) -> Option<String> {
    let names = |indices: &[usize]| {
        let names: Vec<String> = indices
            .iter()
            .map(|&i| format!("`{}`", labels.get(i).map_or("?", String::as_str)))
            .collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        }
    };
    if under[0].is_empty() && under[1].is_empty() {
        return None;
    }
    if under[0] == under[1] {
        return Some(format!("{} in both panels", names(&under[0])));
    }
    let parts: Vec<String> = under
        .iter()
        .zip(panels)
        .filter(|(indices, _)| !indices.is_empty())
        .map(|(indices, panel)| format!("{} in the {panel} panel", names(indices)))
        .collect();
    Some(parts.join("; "))
}

/// Draws a marker of radius `radius` centred on the pixel `at`: filled, or as a hollow outline (a point drawn
/// around earlier ones at the same place).
fn draw_marker(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    at: (i32, i32),
    shape: Shape,
    radius: i32,
    colour: RGBColor,
    filled: bool,
) -> Result<(), String> {
    let style = if filled {
        colour.filled()
    } else {
        colour.stroke_width(2)
    };
    let outline: Vec<(i32, i32)> = shape
        .outline(radius)
        .into_iter()
        .map(|(dx, dy)| (at.0 + dx, at.1 + dy))
        .collect();
    if outline.is_empty() {
        area.draw(&Circle::new(at, radius, style)).map_err(|e| error(&e))
    } else if filled {
        area.draw(&Polygon::new(outline, style)).map_err(|e| error(&e))
    } else {
        let mut path = outline.clone();
        path.extend(outline.first().copied());
        area.draw(&PathElement::new(path, style)).map_err(|e| error(&e))
    }
}

/// Draws the comparison as an SVG file at `path` (see [`render_svg`]) and returns the plot's warnings.
///
/// # Errors
///
/// A message naming the file if its extension is not one of [`PLOT_EXTENSIONS`] (see [`check_plot_path`]) or it
/// cannot be written, or if plotters fails to draw.
pub fn plot_svg(c: &Comparison, path: &Path) -> Result<Vec<String>, String> {
    check_plot_path(path)?;
    let plot = render_svg(c)?;
    std::fs::write(path, plot.svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(plot.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_axes_have_distinct_integer_ticks() {
        for max in [
            0.0,
            0.25,
            0.5,
            1.0,
            1.5,
            2.0,
            3.0,
            4.9,
            5.0,
            7.5,
            10.0,
            99.0,
            917.5,
            2633.0,
            1e6,
            f64::NAN,
        ] {
            let axis = Axis::new(max, true);
            let labels: Vec<String> = axis.ticks().iter().map(|&v| axis.label(v)).collect();
            let values: Vec<u64> = labels
                .iter()
                .map(|l| {
                    l.replace(',', "")
                        .parse()
                        .unwrap_or_else(|_| panic!("{max}: {l} is an integer"))
                })
                .collect();
            assert!(values.windows(2).all(|w| w[0] < w[1]), "{max}: {labels:?}");
            assert!((2..=7).contains(&values.len()), "{max}: {labels:?}");
            assert_eq!(values.first(), Some(&0), "{max}: {labels:?}");
            assert!(max.is_nan() || axis.top > max, "{max}: top {}", axis.top);
        }
        let no_compromise = Axis::new(0.0, true);
        let labels: Vec<String> = no_compromise
            .ticks()
            .iter()
            .map(|&v| no_compromise.label(v))
            .collect();
        assert_eq!(labels, ["0", "1"]);
        let leaks = Axis::new(2633.0, true);
        let labels: Vec<String> = leaks.ticks().iter().map(|&v| leaks.label(v)).collect();
        assert_eq!(labels, ["0", "1,000", "2,000", "3,000"]);
    }

    #[test]
    fn fractional_axes_step_by_round_numbers_with_matching_decimals() {
        let mb = Axis::new(1.872_992, false);
        let labels: Vec<String> = mb.ticks().iter().map(|&v| mb.label(v)).collect();
        assert_eq!(labels, ["0.0", "0.5", "1.0", "1.5", "2.0"]);
        let small = Axis::new(0.06, false);
        let labels: Vec<String> = small.ticks().iter().map(|&v| small.label(v)).collect();
        assert_eq!(labels, ["0.00", "0.02", "0.04", "0.06", "0.08"]);
        assert_eq!(Axis::new(1_234_567.0, true).label(1_234_567.0), "1,234,567");
    }

    #[test]
    fn distribution_sizes_get_a_unit_below_a_thousand() {
        assert_eq!(byte_unit(0.0), (1.0, "bytes"));
        assert_eq!(byte_unit(999.0), (1.0, "bytes"));
        assert_eq!(byte_unit(16_576.0), (1e3, "kB"));
        assert_eq!(byte_unit(2_000_000.0), (1e6, "MB"));
        assert_eq!(byte_unit(3e9), (1e9, "GB"));
    }

    #[test]
    fn plot_paths_must_end_in_svg() {
        assert_eq!(check_plot_path(Path::new("out/plot.svg")), Ok(()));
        assert_eq!(check_plot_path(Path::new("PLOT.SVG")), Ok(()));
        let error = check_plot_path(Path::new("out.png")).unwrap_err();
        assert!(
            error.starts_with("--plot out.png: cannot write a .png file")
                && error.contains("supported: .svg"),
            "{error}"
        );
        let error = check_plot_path(Path::new("plot")).unwrap_err();
        assert!(
            error.contains("no extension") && error.contains("supported: .svg"),
            "{error}"
        );
    }

    #[test]
    fn same_place_notes_name_the_points_and_panels() {
        let labels = ["a", "b", "c"].map(str::to_owned);
        let panels = ["exposure", "post-removal leaks"];
        assert_eq!(same_place_note(&labels, &[vec![], vec![]], panels), None);
        assert_eq!(
            same_place_note(&labels, &[vec![0], vec![0]], panels).as_deref(),
            Some("`a` in both panels")
        );
        assert_eq!(
            same_place_note(&labels, &[vec![0, 1], vec![1]], panels).as_deref(),
            Some("`a` and `b` in the exposure panel; `b` in the post-removal leaks panel")
        );
    }
}
