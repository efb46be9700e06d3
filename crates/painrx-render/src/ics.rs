//! iCalendar: one event per dose time per day, written with the `icalendar` crate.

use icalendar::{Calendar, Component, Event, EventLike};
use painrx_engine::id::MonographId;
use painrx_engine::schedule::{ScheduledDose, Step};
use painrx_engine::time::Date;
use painrx_engine::units::Unit;
use painrx_kb::quantity::format_number;

use crate::date_of;

/// Words for the units of a dose: "1 × 75 mg capsule + 1 × 150 mg capsule".
pub fn units_text(units: &[Unit]) -> String {
    units
        .iter()
        .map(|u| match u.form {
            painrx_kb::vocab::Form::OralSolution => format!(
                "{} mL of {} mg/mL solution",
                format_number(u.count),
                format_number(u.strength_mg)
            ),
            form => format!(
                "{} × {} mg {}",
                format_number(u.count),
                format_number(u.strength_mg),
                form
            ),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn summary(title: &str, dose: &ScheduledDose) -> String {
    format!(
        "{title} {} mg — {}",
        format_number(dose.mg),
        units_text(&dose.units)
    )
}

/// A calendar for a plan's steps. `name_of` turns a drug id into a display name.
pub fn calendar(
    plan_name: &str,
    default_drug: &MonographId,
    steps: &[Step],
    start: Date,
    name_of: &dyn Fn(&MonographId) -> String,
) -> Calendar {
    let mut calendar = Calendar::new();
    calendar.name(plan_name);
    for step in steps {
        for day in step.start_day..=step.end_day {
            let date = date_of(start, day);
            for (i, dose) in step.doses.iter().enumerate() {
                let drug = dose.drug.as_ref().unwrap_or(default_drug);
                let at = date.and_time(dose.time.naive());
                let event = Event::new()
                    .uid(&format!(
                        "painrx-{drug}-{}-{}-{i}@painrx",
                        date.format("%Y%m%d"),
                        dose.time.to_string().replace(':', "")
                    ))
                    .summary(&summary(&name_of(drug), dose))
                    .description(&format!(
                        "Day {day} of the plan. {}. Not a substitute for clinical judgement.",
                        step.rule
                    ))
                    .starts(at)
                    .ends(at + chrono::Duration::minutes(15))
                    .done();
                calendar.push(event);
            }
        }
    }
    calendar.done()
}
