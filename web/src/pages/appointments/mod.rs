//! Scheduling for staff (`/appointments`): the calendar of a department or practitioner with
//! booking from a free slot, the appointment panel (status workflow, cancel, revert, history)
//! and the filtered appointment list. Also what the patient's booking page and the chart's
//! appointments tab share: loads that keep the newest answer, the directory, status badges.

mod booking;
mod calendar;
mod list;
mod panel;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use hms_api_types::appointments::{Appointment, AppointmentStatus, Department, Practitioner};
use hms_api_types::users::User;
use hms_api_types::Permission;
use uuid::Uuid;
use web_sys::{ScrollIntoViewOptions, ScrollLogicalPosition};
use yew::prelude::*;

use crate::api::ApiError;
use crate::display;
use crate::session::use_session;

pub use booking::booking_error;
use booking::BookingPanel;
use calendar::{use_calendar, Calendar, CalendarKey, CalendarView, Toolbar};
use list::AppointmentList;
pub use list::{appointment_row, use_pages, Columns};
use panel::AppointmentPanel;

/// A value loaded from the API: the last good answer, whether a load is running, and why the
/// last one failed. Answers to loads older than the newest are dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote<T> {
    pub value: Option<T>,
    pub loading: bool,
    pub error: Option<ApiError>,
    seq: u32,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Remote {
            value: None,
            loading: false,
            error: None,
            seq: 0,
        }
    }
}

pub enum RemoteAction<T> {
    Start(u32),
    Done(u32, Result<T, ApiError>),
}

impl<T: Clone + 'static> Reducible for Remote<T> {
    type Action = RemoteAction<T>;

    fn reduce(self: Rc<Self>, action: RemoteAction<T>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            RemoteAction::Start(seq) => {
                next.seq = seq;
                next.loading = true;
            }
            RemoteAction::Done(seq, result) => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok(value) => {
                        next.value = Some(value);
                        next.error = None;
                    }
                    // The last good answer stays on screen under the problem.
                    Err(error) => next.error = Some(error),
                }
            }
        }
        Rc::new(next)
    }
}

/// A [`Remote`] and the counter that numbers its loads.
pub struct RemoteHandle<T: Clone + 'static> {
    pub state: UseReducerHandle<Remote<T>>,
    seq: Rc<RefCell<u32>>,
}

impl<T: Clone + 'static> Clone for RemoteHandle<T> {
    fn clone(&self) -> Self {
        RemoteHandle {
            state: self.state.clone(),
            seq: self.seq.clone(),
        }
    }
}

impl<T: Clone + 'static> RemoteHandle<T> {
    /// Runs `fetch`; its answer replaces the value unless a newer load started meanwhile.
    pub fn load(&self, fetch: impl Future<Output = Result<T, ApiError>> + 'static) {
        let seq = {
            let mut seq = self.seq.borrow_mut();
            *seq = seq.wrapping_add(1);
            *seq
        };
        self.state.dispatch(RemoteAction::Start(seq));
        let state = self.state.dispatcher();
        wasm_bindgen_futures::spawn_local(async move {
            state.dispatch(RemoteAction::Done(seq, fetch.await));
        });
    }
}

#[hook]
pub fn use_remote<T: Clone + 'static>() -> RemoteHandle<T> {
    RemoteHandle {
        state: use_reducer(Remote::<T>::default),
        seq: use_mut_ref(|| 0u32),
    }
}

/// The departments and practitioners of the hospital.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub departments: Vec<Department>,
    pub practitioners: Vec<Practitioner>,
}

impl Directory {
    /// The practitioners of `department`, by name.
    pub fn practitioners_of(&self, department: Uuid) -> impl Iterator<Item = &Practitioner> {
        self.practitioners
            .iter()
            .filter(move |p| p.department_id == department)
    }

    pub fn practitioner(&self, id: Uuid) -> Option<&Practitioner> {
        self.practitioners.iter().find(|p| p.id == id)
    }

    /// `(id, name)` options of the department `<select>`.
    pub fn department_options(&self) -> Vec<(AttrValue, AttrValue)> {
        self.departments
            .iter()
            .map(|d| {
                (
                    AttrValue::from(d.id.to_string()),
                    AttrValue::from(d.name.clone()),
                )
            })
            .collect()
    }

    /// `(id, name)` options of the practitioner `<select>`, after `first` (`""`: everyone).
    pub fn practitioner_options(
        &self,
        department: Option<Uuid>,
        first: &'static str,
    ) -> Vec<(AttrValue, AttrValue)> {
        let mut options = vec![(AttrValue::Static(""), AttrValue::Static(first))];
        if let Some(department) = department {
            options.extend(self.practitioners_of(department).map(|p| {
                (
                    AttrValue::from(p.id.to_string()),
                    AttrValue::from(format!("{} ({})", p.display_name, p.specialty)),
                )
            }));
        }
        options
    }
}

/// Loads the directory once.
#[hook]
pub fn use_directory() -> RemoteHandle<Rc<Directory>> {
    let session = use_session();
    let directory = use_remote::<Rc<Directory>>();
    {
        let (directory, api) = (directory.clone(), session.api().clone());
        use_effect_with((), move |_| {
            directory.load(async move {
                let departments = api.departments().await?;
                let practitioners = api.practitioners(None).await?;
                Ok(Rc::new(Directory {
                    departments,
                    practitioners,
                }))
            });
        });
    }
    directory
}

/// `<span class="badge status status-checked_in">Checked in</span>`.
pub fn status_badge(status: AppointmentStatus) -> Html {
    html! {
        <span class={classes!("badge", "status", format!("status-{}", status.as_str()))}>
            { display::humanize(status.as_str()) }
        </span>
    }
}

/// `09:00–09:20` in the browser's time zone.
pub fn time_range(appointment: &Appointment) -> String {
    format!(
        "{}–{}",
        display::local_clock(appointment.starts_at),
        display::local_clock(appointment.ends_at)
    )
}

/// `Tue 12 Mar 2024, 09:00–09:20`.
pub fn when(appointment: &Appointment) -> String {
    let day = display::local_date(appointment.starts_at);
    format!(
        "{} {}, {}",
        display::short_day(day),
        day.format("%Y"),
        time_range(appointment)
    )
}

/// What is open next to the calendar.
#[derive(Debug, Clone, PartialEq)]
enum Selection {
    None,
    /// A free slot, to book.
    Slot(hms_api_types::appointments::Slot),
    /// An appointment, to act on.
    Appointment(Uuid),
}

#[derive(Properties, PartialEq)]
pub struct AppointmentsPageProps {
    pub user: Rc<User>,
}

/// `<main id="appointments-page">`: the calendar with its side panel, then the list.
#[component]
pub fn AppointmentsPage(props: &AppointmentsPageProps) -> Html {
    let session = use_session();
    let role = props.user.role;
    let can_book = role.can(Permission::BookAppointments);
    let directory = use_directory();
    let department = use_state(|| None::<Uuid>);
    let practitioner = use_state(|| None::<Uuid>);
    let view = use_state(|| CalendarView::Day);
    let date = use_state(display::today);
    // Bumped after every change: the calendar and the list reload.
    let tick = use_state(|| 0u32);
    let selection = use_state(|| Selection::None);
    let status = use_state(|| None::<AttrValue>);
    let panel_ref = use_node_ref();

    // Opens on the signed-in practitioner's own department, or the first one.
    {
        let (department, user_id) = (department.clone(), props.user.id);
        let loaded = directory.state.value.clone();
        use_effect_with(loaded, move |loaded| {
            if let (Some(dir), None) = (loaded, *department) {
                let own = dir
                    .practitioners
                    .iter()
                    .find(|p| p.user_id == user_id)
                    .map(|p| p.department_id);
                if let Some(id) = own.or_else(|| dir.departments.first().map(|d| d.id)) {
                    department.set(Some(id));
                }
            }
        });
    }

    let key = department.map(|department| CalendarKey {
        department,
        practitioner: *practitioner,
        view: *view,
        date: *date,
    });
    let calendar = use_calendar(session.api().clone(), key.clone(), *tick);

    // A panel opened from the list, far below, comes into view.
    {
        let panel_ref = panel_ref.clone();
        use_effect_with((*selection).clone(), move |selection| {
            if *selection != Selection::None {
                if let Some(element) = panel_ref.cast::<web_sys::Element>() {
                    let options = ScrollIntoViewOptions::new();
                    options.set_block(ScrollLogicalPosition::Nearest);
                    element.scroll_into_view_with_scroll_into_view_options(&options);
                }
            }
        });
    }

    let refresh = {
        let tick = tick.clone();
        Callback::from(move |()| tick.set(tick.wrapping_add(1)))
    };
    let close = {
        let selection = selection.clone();
        Callback::from(move |()| selection.set(Selection::None))
    };
    let on_slot = {
        let (selection, status) = (selection.clone(), status.clone());
        Callback::from(move |slot| {
            status.set(None);
            selection.set(Selection::Slot(slot));
        })
    };
    let on_open = {
        let (selection, status) = (selection.clone(), status.clone());
        Callback::from(move |id| {
            status.set(None);
            selection.set(Selection::Appointment(id));
        })
    };
    let on_booked = {
        let (selection, status, refresh) = (selection.clone(), status.clone(), refresh.clone());
        Callback::from(move |a: Appointment| {
            status.set(Some(AttrValue::from(format!(
                "Booked {} with {}, {}.",
                a.patient_name,
                a.practitioner_name,
                when(&a)
            ))));
            selection.set(Selection::None);
            refresh.emit(());
        })
    };
    let on_department = {
        let (department, practitioner) = (department.clone(), practitioner.clone());
        Callback::from(move |value: String| {
            practitioner.set(None);
            department.set(Uuid::parse_str(&value).ok());
        })
    };
    let on_practitioner = {
        let practitioner = practitioner.clone();
        Callback::from(move |value: String| practitioner.set(Uuid::parse_str(&value).ok()))
    };
    let on_view = {
        let view = view.clone();
        Callback::from(move |v| view.set(v))
    };
    let on_date = {
        let date = date.clone();
        Callback::from(move |d| date.set(d))
    };

    let dir = directory.state.value.clone().unwrap_or_default();
    let selected_slot = match &*selection {
        Selection::Slot(slot) => Some(slot.clone()),
        _ => None,
    };
    let selected_appointment = match &*selection {
        Selection::Appointment(id) => Some(*id),
        _ => None,
    };
    let panel = match &*selection {
        Selection::None => Html::default(),
        Selection::Slot(slot) => {
            let practitioner_name = dir
                .practitioner(slot.practitioner_id)
                .map(|p| p.display_name.clone())
                .unwrap_or_default();
            html! {
                <BookingPanel
                    slot={slot.clone()}
                    {practitioner_name}
                    on_close={close.clone()}
                    on_booked={on_booked}
                    on_conflict={refresh.clone()}
                />
            }
        }
        Selection::Appointment(id) => html! {
            <AppointmentPanel
                key={id.to_string()}
                appointment_id={*id}
                {role}
                on_close={close.clone()}
                on_changed={refresh.clone()}
            />
        },
    };
    let time_zone = calendar
        .state
        .value
        .as_ref()
        .map(|data| data.slots.time_zone.clone());

    html! {
        <main id="appointments-page" class="page wide">
            <div class="page-head">
                <h1>{ "Appointments" }</h1>
                { time_zone_note(time_zone) }
            </div>
            <section class="card calendar-card" aria-labelledby="calendar-date">
                // The selects appear with their options, once the directory is loaded.
                if directory.state.value.is_some() {
                    <Toolbar
                        directory={dir.clone()}
                        department={*department}
                        practitioner={*practitioner}
                        view={*view}
                        date={*date}
                        {on_department}
                        {on_practitioner}
                        {on_view}
                        {on_date}
                    />
                }
                <crate::components::problem_alert::ProblemAlert
                    id="calendar-error"
                    error={directory.state.error.clone().or_else(|| calendar.state.error.clone())}
                />
                if let Some(text) = &*status {
                    <p id="calendar-status" class="status" role="status">{ text.clone() }</p>
                }
                if directory.state.value.as_ref().is_some_and(|d| d.departments.is_empty()) {
                    <p id="calendar-no-departments" class="muted">
                        { "No departments are set up yet. An administrator adds departments and practitioners." }
                    </p>
                }
                <div class={classes!("calendar-layout", (*selection != Selection::None).then_some("with-panel"))}>
                    <div class="calendar-main">
                        if let Some(key) = &key {
                            <Calendar
                                shown={key.clone()}
                                data={calendar.state.clone()}
                                directory={dir.clone()}
                                {can_book}
                                {selected_slot}
                                {selected_appointment}
                                {on_slot}
                                on_appointment={on_open.clone()}
                            />
                        } else if directory.state.loading {
                            <p id="calendar-loading" class="loading" role="status">{ "Loading…" }</p>
                        }
                    </div>
                    <div class="side-panel" ref={panel_ref}>
                        { panel }
                    </div>
                </div>
            </section>
            <AppointmentList refresh={*tick} {on_open} selected={selected_appointment} />
        </main>
    }
}

/// The hospital's time zone, and a warning when the browser's differs.
fn time_zone_note(hospital: Option<String>) -> Html {
    let Some(hospital) = hospital else {
        return Html::default();
    };
    let browser = display::browser_time_zone();
    let differs = browser.as_deref().is_some_and(|b| b != hospital);
    html! {
        <p id="calendar-time-zone" class={classes!("time-zone", if differs { "warning-note" } else { "muted" })}>
            if differs {
                { format!(
                    "Times are shown in your time zone ({}); the hospital's is {}.",
                    browser.unwrap_or_default(),
                    hospital
                ) }
            } else {
                { format!("Times in {hospital}") }
            }
        </p>
    }
}
