//! The calendar: what it shows (department, practitioner, day or week), its toolbar, the data
//! load that repeats every 15 seconds, and the grid of appointments and free slots.

use std::rc::Rc;

use chrono::{Datelike, Duration, NaiveDate};
use gloo_timers::callback::Interval;
use hms_api_types::appointments::{Appointment, Slot, SlotList};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{status_badge, time_range, use_remote, Directory, Remote, RemoteHandle};
use crate::api::appointments::{AppointmentQuery, SlotScope};
use crate::api::Api;
use crate::components::field::SelectField;
use crate::display;

/// How often the calendar reloads, so that a slot booked elsewhere disappears.
const POLL_MS: u32 = 15_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarView {
    /// One day, one column per practitioner.
    Day,
    /// Monday to Sunday, one column per day.
    Week,
}

impl CalendarView {
    fn as_str(self) -> &'static str {
        match self {
            CalendarView::Day => "day",
            CalendarView::Week => "week",
        }
    }
}

/// What the calendar shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarKey {
    pub department: Uuid,
    /// One practitioner, or everyone in the department.
    pub practitioner: Option<Uuid>,
    pub view: CalendarView,
    /// The day shown, or a day of the week shown.
    pub date: NaiveDate,
}

/// Monday of `date`'s week.
fn monday(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

impl CalendarKey {
    /// The first and last day shown.
    pub fn range(&self) -> (NaiveDate, NaiveDate) {
        match self.view {
            CalendarView::Day => (self.date, self.date),
            CalendarView::Week => {
                let first = monday(self.date);
                (first, first + Duration::days(6))
            }
        }
    }

    fn days(&self) -> Vec<NaiveDate> {
        let (first, last) = self.range();
        first.iter_days().take_while(|d| *d <= last).collect()
    }
}

/// One load of the calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarData {
    pub key: CalendarKey,
    pub slots: SlotList,
    pub appointments: Vec<Appointment>,
}

async fn fetch(api: Api, key: CalendarKey) -> Result<Rc<CalendarData>, crate::api::ApiError> {
    let (from, to) = key.range();
    let scope = key.practitioner.map_or(
        SlotScope::Department(key.department),
        SlotScope::Practitioner,
    );
    // Slots first: a booking made between the two calls then shows as an appointment, never
    // as a free slot next to it.
    let slots = api.free_slots(scope, from, to).await?;
    let query = AppointmentQuery {
        from: Some(from),
        to: Some(to),
        practitioner_id: key.practitioner,
        department_id: key.practitioner.is_none().then_some(key.department),
        ..AppointmentQuery::default()
    };
    let appointments = api.all_appointments(&query).await?;
    Ok(Rc::new(CalendarData {
        key,
        slots,
        appointments,
    }))
}

/// Loads what `key` shows, again whenever `tick` changes and every 15 seconds while mounted.
#[hook]
pub fn use_calendar(
    api: Api,
    key: Option<CalendarKey>,
    tick: u32,
) -> RemoteHandle<Rc<CalendarData>> {
    let calendar = use_remote::<Rc<CalendarData>>();
    {
        let calendar = calendar.clone();
        use_effect_with((key, tick), move |(key, _)| {
            let poll = key.clone().map(|key| {
                calendar.load(fetch(api.clone(), key.clone()));
                Interval::new(POLL_MS, move || {
                    calendar.load(fetch(api.clone(), key.clone()));
                })
            });
            // Dropping the interval stops it (on unmount or when the key changes).
            move || drop(poll)
        });
    }
    calendar
}

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub directory: Rc<Directory>,
    pub department: Option<Uuid>,
    pub practitioner: Option<Uuid>,
    pub view: CalendarView,
    pub date: NaiveDate,
    pub on_department: Callback<String>,
    pub on_practitioner: Callback<String>,
    pub on_view: Callback<CalendarView>,
    pub on_date: Callback<NaiveDate>,
}

/// Department and practitioner, day or week, and the date navigation.
#[component]
pub fn Toolbar(props: &ToolbarProps) -> Html {
    let step = match props.view {
        CalendarView::Day => 1,
        CalendarView::Week => 7,
    };
    let go = |days: i64| {
        let (on_date, date) = (props.on_date.clone(), props.date);
        Callback::from(move |_: MouseEvent| on_date.emit(date + Duration::days(days)))
    };
    let on_today = {
        let on_date = props.on_date.clone();
        Callback::from(move |_: MouseEvent| on_date.emit(display::today()))
    };
    let on_pick = {
        let on_date = props.on_date.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(Some(d)) = display::parse_date("date", &input.value()) {
                    on_date.emit(d);
                }
            }
        })
    };
    let view_button = |view: CalendarView, label: &'static str| {
        let on_view = props.on_view.clone();
        let pressed = props.view == view;
        html! {
            <button
                id={format!("calendar-view-{}", view.as_str())}
                type="button"
                class={classes!("button", "secondary", pressed.then_some("pressed"))}
                aria-pressed={if pressed { "true" } else { "false" }}
                onclick={Callback::from(move |_: MouseEvent| on_view.emit(view))}
            >
                { label }
            </button>
        }
    };
    let unit = if props.view == CalendarView::Day {
        "day"
    } else {
        "week"
    };
    let department = props.department.map(|d| d.to_string()).unwrap_or_default();
    let practitioner = props
        .practitioner
        .map(|p| p.to_string())
        .unwrap_or_default();
    html! {
        <div class="calendar-toolbar">
            <div class="filters">
                <SelectField
                    id="calendar-department"
                    label="Department"
                    value={department}
                    options={props.directory.department_options()}
                    onchange={props.on_department.clone()}
                />
                <SelectField
                    id="calendar-practitioner"
                    label="Practitioner"
                    value={practitioner}
                    options={props.directory.practitioner_options(props.department, "All")}
                    onchange={props.on_practitioner.clone()}
                />
            </div>
            <div class="calendar-controls">
                <div class="segmented" role="group" aria-label="View">
                    { view_button(CalendarView::Day, "Day") }
                    { view_button(CalendarView::Week, "Week") }
                </div>
                <div class="date-nav" role="group" aria-label="Date">
                    <button
                        id="calendar-prev"
                        type="button"
                        class="button secondary"
                        aria-label={format!("Previous {unit}")}
                        onclick={go(-step)}
                    >
                        { "‹" }
                    </button>
                    <button id="calendar-today" type="button" class="button secondary" onclick={on_today}>
                        { "Today" }
                    </button>
                    <button
                        id="calendar-next"
                        type="button"
                        class="button secondary"
                        aria-label={format!("Next {unit}")}
                        onclick={go(step)}
                    >
                        { "›" }
                    </button>
                    <label class="visually-hidden" for="calendar-pick-date">{ "Go to date" }</label>
                    <input
                        id="calendar-pick-date"
                        type="date"
                        value={display::date(props.date)}
                        onchange={on_pick}
                    />
                </div>
            </div>
        </div>
    }
}

/// One thing in a calendar column.
enum Entry<'a> {
    Appointment(&'a Appointment),
    Slot(&'a Slot),
}

impl Entry<'_> {
    fn sort_key(&self) -> (chrono::DateTime<chrono::Utc>, u8) {
        match self {
            Entry::Appointment(a) => (a.starts_at, 0),
            Entry::Slot(s) => (s.starts_at, 1),
        }
    }
}

/// A column: its heading, the `data-` attribute that identifies it, and what it holds.
struct Column<'a> {
    title: String,
    subtitle: Option<String>,
    practitioner_id: Option<Uuid>,
    date: Option<NaiveDate>,
    entries: Vec<Entry<'a>>,
}

#[derive(Properties, PartialEq)]
pub struct CalendarProps {
    /// What the calendar should show now (the data may still be an older load).
    pub shown: CalendarKey,
    pub data: UseReducerHandle<Remote<Rc<CalendarData>>>,
    pub directory: Rc<Directory>,
    /// Free slots are buttons that open the booking panel.
    pub can_book: bool,
    pub selected_slot: Option<Slot>,
    pub selected_appointment: Option<Uuid>,
    pub on_slot: Callback<Slot>,
    pub on_appointment: Callback<Uuid>,
}

/// `<h2 id="calendar-date">` and `<div id="calendar">`: one column per practitioner (day) or
/// per day (week).
#[component]
pub fn Calendar(props: &CalendarProps) -> Html {
    let shown = &props.shown;
    let (first, last) = shown.range();
    let heading = match shown.view {
        CalendarView::Day => display::long_day(first),
        CalendarView::Week => format!(
            "{} – {} {}",
            display::short_day(first),
            display::short_day(last),
            last.format("%Y")
        ),
    };
    // Data of another department, person or range is not shown while the new one loads.
    let data = props.data.value.as_ref().filter(|data| data.key == *shown);

    let mut columns: Vec<Column> = match shown.view {
        CalendarView::Day => {
            let mut columns: Vec<Column> = props
                .directory
                .practitioners_of(shown.department)
                .filter(|p| shown.practitioner.is_none_or(|id| id == p.id))
                .map(|p| Column {
                    title: p.display_name.clone(),
                    subtitle: Some(p.specialty.clone()),
                    practitioner_id: Some(p.id),
                    date: None,
                    entries: Vec::new(),
                })
                .collect();
            // Someone no longer in the directory who still has appointments that day.
            for a in data.iter().flat_map(|d| d.appointments.iter()) {
                if !columns
                    .iter()
                    .any(|c| c.practitioner_id == Some(a.practitioner_id))
                {
                    columns.push(Column {
                        title: a.practitioner_name.clone(),
                        subtitle: None,
                        practitioner_id: Some(a.practitioner_id),
                        date: None,
                        entries: Vec::new(),
                    });
                }
            }
            columns
        }
        CalendarView::Week => shown
            .days()
            .into_iter()
            .map(|d| Column {
                title: display::short_day(d),
                subtitle: None,
                practitioner_id: None,
                date: Some(d),
                entries: Vec::new(),
            })
            .collect(),
    };
    let column_of = |columns: &[Column], practitioner: Uuid, day: NaiveDate| match shown.view {
        CalendarView::Day => columns
            .iter()
            .position(|c| c.practitioner_id == Some(practitioner) && day == shown.date),
        CalendarView::Week => columns.iter().position(|c| c.date == Some(day)),
    };
    if let Some(data) = data {
        for a in &data.appointments {
            let day = display::local_date(a.starts_at);
            if let Some(i) = column_of(&columns, a.practitioner_id, day) {
                columns[i].entries.push(Entry::Appointment(a));
            }
        }
        for s in &data.slots.items {
            let day = display::local_date(s.starts_at);
            if let Some(i) = column_of(&columns, s.practitioner_id, day) {
                columns[i].entries.push(Entry::Slot(s));
            }
        }
    }
    for column in &mut columns {
        column.entries.sort_by_key(Entry::sort_key);
    }

    // Week view of a whole department: each entry says whose it is.
    let show_who = shown.view == CalendarView::Week && shown.practitioner.is_none();
    let loading = data.is_none() && props.data.error.is_none();
    html! {
        <>
            <h2
                id="calendar-date"
                class="calendar-date"
                data-date={display::date(shown.date)}
                data-from={display::date(first)}
                data-to={display::date(last)}
            >
                { heading }
            </h2>
            if loading {
                <p id="calendar-loading" class="loading" role="status">{ "Loading the calendar…" }</p>
            }
            if shown.view == CalendarView::Day && columns.is_empty() && !loading {
                <p id="calendar-empty" class="muted">{ "Nobody in this department can be booked." }</p>
            }
            <div
                id="calendar"
                class={classes!("calendar", format!("calendar-{}", shown.view.as_str()))}
                data-view={shown.view.as_str()}
                aria-busy={if props.data.loading { "true" } else { "false" }}
            >
                { for columns.iter().map(|column| render_column(column, props, show_who, data.is_some())) }
            </div>
        </>
    }
}

fn render_column(column: &Column, props: &CalendarProps, show_who: bool, loaded: bool) -> Html {
    let today = column.date == Some(display::today());
    html! {
        <section
            class={classes!("calendar-column", today.then_some("today"))}
            data-practitioner-id={column.practitioner_id.map(|id| id.to_string())}
            data-date={column.date.map(display::date)}
            aria-label={column.title.clone()}
        >
            <header class="calendar-column-head">
                <h3>{ column.title.clone() }</h3>
                if let Some(subtitle) = &column.subtitle {
                    <span class="muted">{ subtitle.clone() }</span>
                }
            </header>
            <ol class="calendar-entries">
                { for column.entries.iter().map(|entry| match entry {
                    Entry::Appointment(a) => appointment_entry(a, props, show_who),
                    Entry::Slot(s) => slot_entry(s, props, show_who),
                }) }
            </ol>
            if loaded && column.entries.is_empty() {
                <p class="calendar-empty-column muted">{ "Nothing scheduled" }</p>
            }
        </section>
    }
}

fn appointment_entry(a: &Appointment, props: &CalendarProps, show_who: bool) -> Html {
    let onclick = {
        let (on_appointment, id) = (props.on_appointment.clone(), a.id);
        Callback::from(move |_: MouseEvent| on_appointment.emit(id))
    };
    let selected = props.selected_appointment == Some(a.id);
    html! {
        <li key={a.id.to_string()}>
            <button
                type="button"
                class={classes!(
                    "appointment",
                    format!("status-{}", a.status.as_str()),
                    selected.then_some("selected"),
                )}
                data-appointment-id={a.id.to_string()}
                data-status={a.status.as_str()}
                data-starts-at={display::wire_time(a.starts_at)}
                aria-pressed={if selected { "true" } else { "false" }}
                {onclick}
            >
                <span class="time">{ time_range(a) }</span>
                { status_badge(a.status) }
                <span class="patient">{ a.patient_name.clone() }</span>
                if show_who {
                    <span class="who muted">{ a.practitioner_name.clone() }</span>
                }
            </button>
        </li>
    }
}

fn slot_entry(slot: &Slot, props: &CalendarProps, show_who: bool) -> Html {
    let key = format!("{}-{}", slot.practitioner_id, slot.starts_at.timestamp());
    let time = display::local_clock(slot.starts_at);
    let who = props
        .directory
        .practitioner(slot.practitioner_id)
        .map(|p| p.display_name.clone())
        .unwrap_or_default();
    let starts_at = display::wire_time(slot.starts_at);
    let practitioner_id = slot.practitioner_id.to_string();
    if !props.can_book {
        return html! {
            <li {key}>
                <span class="free-slot readonly" data-starts-at={starts_at} data-practitioner-id={practitioner_id}>
                    <span class="time">{ time }</span>
                    if show_who {
                        <span class="who">{ who }</span>
                    }
                    <span class="free">{ "Free" }</span>
                </span>
            </li>
        };
    }
    let selected = props.selected_slot.as_ref() == Some(slot);
    let onclick = {
        let (on_slot, slot) = (props.on_slot.clone(), slot.clone());
        Callback::from(move |_: MouseEvent| on_slot.emit(slot.clone()))
    };
    html! {
        <li {key}>
            <button
                type="button"
                class={classes!("free-slot", selected.then_some("selected"))}
                data-starts-at={starts_at}
                data-practitioner-id={practitioner_id}
                aria-pressed={if selected { "true" } else { "false" }}
                aria-label={format!("Book {} {} with {}", display::short_day(display::local_date(slot.starts_at)), time, who)}
                {onclick}
            >
                <span class="time">{ time }</span>
                if show_who {
                    <span class="who">{ who }</span>
                }
                <span class="free">{ "Free" }</span>
            </button>
        </li>
    }
}
