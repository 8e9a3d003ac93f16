//! A patient books their own appointment (`/book`): a department (and optionally a
//! practitioner), a week of free slots, the reason; then their appointments, which they may
//! cancel up to the hospital's cut-off.

use std::rc::Rc;

use chrono::Duration;
use hms_api_types::appointments::{Appointment, AppointmentStatus, NewAppointment, Slot, SlotList};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::appointments::{cancel_fingerprint, AppointmentQuery, BookingAttempt, SlotScope};
use crate::api::inventory::Attempt;
use crate::api::ops::{Saved, KEPT_MESSAGE};
use crate::api::ApiError;
use crate::components::field::{Field, SelectField};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form, FormAction};
use crate::pages::appointments::{
    booking_error, status_badge, time_range, use_directory, use_remote, when,
};
use crate::session::use_session;

/// How many days of slots are shown at once.
const DAYS: i64 = 7;

#[derive(Debug, Clone, Default, PartialEq)]
struct BookValues {
    reason: String,
}

#[derive(Properties, PartialEq)]
pub struct BookPageProps {
    /// The signed-in patient's record.
    pub patient_id: Uuid,
}

/// `<main id="book-page">`.
#[component]
pub fn BookPage(props: &BookPageProps) -> Html {
    let session = use_session();
    let api = session.api().clone();
    let directory = use_directory();
    let department = use_state(|| None::<Uuid>);
    let practitioner = use_state(|| None::<Uuid>);
    let start = use_state(display::today);
    let tick = use_state(|| 0u32);
    let selected = use_state(|| None::<Slot>);
    let slots = use_remote::<Rc<FoundSlots>>();
    let mine = use_remote::<Rc<Vec<Appointment>>>();
    let form = use_form::<BookValues>();
    let attempt = use_mut_ref(BookingAttempt::default);

    // The first department until the patient picks one.
    {
        let department = department.clone();
        use_effect_with(directory.state.value.clone(), move |loaded| {
            if let (Some(dir), None) = (loaded, *department) {
                if let Some(first) = dir.departments.first() {
                    department.set(Some(first.id));
                }
            }
        });
    }
    {
        let (slots, api) = (slots.clone(), api.clone());
        let deps = (*department, *practitioner, *start, *tick);
        use_effect_with(deps, move |(department, practitioner, start, _)| {
            let scope = practitioner
                .map(SlotScope::Practitioner)
                .or(department.map(SlotScope::Department));
            if let Some(scope) = scope {
                let (from, to) = (*start, *start + Duration::days(DAYS - 1));
                slots.load(async move {
                    let list = api.free_slots(scope, from, to).await?;
                    Ok(Rc::new(FoundSlots { scope, list }))
                });
            }
        });
    }
    {
        let (mine, api) = (mine.clone(), api.clone());
        use_effect_with(*tick, move |_| {
            mine.load(async move {
                let query = AppointmentQuery::default();
                Ok(Rc::new(sorted_for_patient(
                    api.all_appointments(&query).await?,
                )))
            });
        });
    }

    let reload = {
        let tick = tick.clone();
        Callback::from(move |()| tick.set(tick.wrapping_add(1)))
    };
    let on_department = {
        let (department, practitioner, selected) =
            (department.clone(), practitioner.clone(), selected.clone());
        Callback::from(move |value: String| {
            selected.set(None);
            practitioner.set(None);
            department.set(Uuid::parse_str(&value).ok());
        })
    };
    let on_practitioner = {
        let (practitioner, selected) = (practitioner.clone(), selected.clone());
        Callback::from(move |value: String| {
            selected.set(None);
            practitioner.set(Uuid::parse_str(&value).ok());
        })
    };
    let go = |days: i64| {
        let (start, selected) = (start.clone(), selected.clone());
        Callback::from(move |_: MouseEvent| {
            let next = (*start + Duration::days(days)).max(display::today());
            selected.set(None);
            start.set(next);
        })
    };
    let on_slot = {
        let selected = selected.clone();
        Callback::from(move |slot: Slot| selected.set(Some(slot)))
    };

    let dir = directory.state.value.clone().unwrap_or_default();
    let onsubmit = {
        let (form, api, selected) = (form.clone(), api.clone(), selected.clone());
        let (reload, patient_id, dir) = (reload.clone(), props.patient_id, dir.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let Some(slot) = (*selected).clone() else {
                form.dispatch(FormAction::Failed(ApiError::invalid(
                    "starts_at",
                    "Choose a time first.",
                )));
                return;
            };
            let reason = form.values.reason.trim().to_owned();
            if reason.is_empty() {
                form.dispatch(FormAction::Failed(ApiError::invalid(
                    "reason",
                    "Say briefly why you want to come.",
                )));
                return;
            }
            let request = NewAppointment {
                patient_id,
                practitioner_id: slot.practitioner_id,
                starts_at: slot.starts_at,
                ends_at: Some(slot.ends_at),
                reason,
            };
            let key = attempt.borrow_mut().key_for(&request);
            form.dispatch(FormAction::Submit);
            let (form, api, attempt) = (form.dispatcher(), api.clone(), attempt.clone());
            let (selected, reload, dir) = (selected.clone(), reload.clone(), dir.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.book_appointment(&request, key).await {
                    Ok(a) => {
                        attempt.borrow_mut().finish();
                        let who = dir
                            .practitioner(a.practitioner_id)
                            .map_or(a.practitioner_name.clone(), |p| {
                                format!("{} ({})", p.display_name, p.specialty)
                            });
                        let done = format!("Booked: {}, with {}.", when(&a), who);
                        form.dispatch(FormAction::Succeeded(Some(AttrValue::from(done))));
                        selected.set(None);
                        reload.emit(());
                    }
                    Err(error) => {
                        let conflict = error.status() == Some(409);
                        form.dispatch(FormAction::Failed(error));
                        if conflict {
                            // The time was taken meanwhile: it disappears from the list.
                            selected.set(None);
                            reload.emit(());
                        }
                    }
                }
            });
        })
    };

    let today = display::today();
    let scope = practitioner
        .map(SlotScope::Practitioner)
        .or(department.map(SlotScope::Department));
    // Slots of another week, department or practitioner are not shown while the new ones load.
    let shown = slots
        .state
        .value
        .as_ref()
        .filter(|found| Some(found.scope) == scope && found.list.from == *start)
        .map(|found| &found.list);
    let last = *start + Duration::days(DAYS - 1);
    html! {
        <main id="book-page" class="page">
            <h1>{ "Book an appointment" }</h1>
            <section class="card" aria-labelledby="book-find-title">
                <h2 id="book-find-title">{ "Find a time" }</h2>
                <ProblemAlert id="book-directory-error" error={directory.state.error.clone()} />
                if directory.state.value.is_none() && directory.state.error.is_none() {
                    <p id="book-loading" class="loading" role="status">{ "Loading…" }</p>
                }
                // The selects appear with their options, once the directory is loaded.
                if directory.state.value.is_some() {
                <div class="filters">
                    <SelectField
                        id="book-department"
                        label="Department"
                        value={department.map(|d| d.to_string()).unwrap_or_default()}
                        options={dir.department_options()}
                        onchange={on_department}
                    />
                    <SelectField
                        id="book-practitioner"
                        label="Practitioner"
                        value={practitioner.map(|p| p.to_string()).unwrap_or_default()}
                        options={dir.practitioner_options(*department, "Anyone")}
                        onchange={on_practitioner}
                    />
                </div>
                }
                <div class="week-nav">
                    <button
                        id="book-prev-week"
                        type="button"
                        class="button secondary"
                        disabled={*start <= today}
                        onclick={go(-DAYS)}
                    >
                        { "‹ Earlier" }
                    </button>
                    <h3 id="book-week" data-from={display::date(*start)} data-to={display::date(last)}>
                        { format!("{} – {}", display::short_day(*start), display::short_day(last)) }
                    </h3>
                    <button id="book-next-week" type="button" class="button secondary" onclick={go(DAYS)}>
                        { "Later ›" }
                    </button>
                </div>
                <ProblemAlert id="book-slots-error" error={slots.state.error.clone()} />
                if directory.state.value.as_ref().is_some_and(|d| d.departments.is_empty()) {
                    <p id="book-no-departments" class="muted">
                        { "Online booking is not available yet. Please call the hospital." }
                    </p>
                }
                { slot_days(shown, slots.state.loading, &dir, practitioner.is_none(), (*selected).as_ref(), &on_slot) }

                <form id="book-form" class="book-form" {onsubmit} novalidate=true>
                    if let Some(slot) = &*selected {
                        <p id="book-selected" class="selected-slot">
                            { format!(
                                "{}, {} with {}",
                                display::long_day(display::local_date(slot.starts_at)),
                                display::local_clock(slot.starts_at),
                                dir.practitioner(slot.practitioner_id).map(|p| p.display_name.clone()).unwrap_or_default()
                            ) }
                        </p>
                    } else {
                        <p id="book-selected-none" class="muted">{ "Choose a free time above." }</p>
                    }
                    if let Some(message) = form.field_error("starts_at") {
                        <p id="book-slot-error" class="field-error">{ message }</p>
                    }
                    { booking_error("book-error", &form.error) }
                    if let Some(done) = &form.done {
                        <p id="book-success" class="status" role="status">{ done.clone() }</p>
                    }
                    <Field
                        id="book-reason"
                        label="Reason for the visit"
                        placeholder="e.g. check-up, follow-up of my blood pressure"
                        value={form.values.reason.clone()}
                        oninput={setter(&form, |v, s| v.reason = s)}
                        error={form.field_error("reason")}
                        required=true
                    />
                    <div class="form-actions">
                        <button
                            id="book-submit"
                            type="submit"
                            class="button primary"
                            disabled={form.submitting}
                        >
                            { if form.submitting { "Booking…" } else { "Book appointment" } }
                        </button>
                    </div>
                </form>
            </section>
            <MyAppointments mine={mine.state.clone()} {reload} />
        </main>
    }
}

/// Free slots and whose they are.
#[derive(Debug, Clone, PartialEq)]
struct FoundSlots {
    scope: SlotScope,
    list: SlotList,
}

/// Upcoming first (soonest first), then the past (most recent first).
fn sorted_for_patient(mut items: Vec<Appointment>) -> Vec<Appointment> {
    let now = display::now();
    items.sort_by(|a, b| {
        let (a_past, b_past) = (a.ends_at < now, b.ends_at < now);
        a_past.cmp(&b_past).then_with(|| {
            if a_past {
                b.starts_at.cmp(&a.starts_at)
            } else {
                a.starts_at.cmp(&b.starts_at)
            }
        })
    });
    items
}

/// `<div id="book-slots">`: one `section.slot-day[data-date]` per day with free slots.
fn slot_days(
    slots: Option<&SlotList>,
    loading: bool,
    dir: &crate::pages::appointments::Directory,
    show_who: bool,
    selected: Option<&Slot>,
    on_slot: &Callback<Slot>,
) -> Html {
    let Some(list) = slots else {
        return html! {
            <div id="book-slots" class="slot-days">
                if loading {
                    <p id="book-slots-loading" class="loading" role="status">{ "Looking for free times…" }</p>
                }
            </div>
        };
    };
    let mut days: Vec<(chrono::NaiveDate, Vec<&Slot>)> = Vec::new();
    for slot in &list.items {
        let day = display::local_date(slot.starts_at);
        match days.last_mut() {
            Some((d, items)) if *d == day => items.push(slot),
            _ => days.push((day, vec![slot])),
        }
    }
    html! {
        <div id="book-slots" class="slot-days" aria-busy={if loading { "true" } else { "false" }}>
            if days.is_empty() {
                <p id="book-slots-empty" class="muted">
                    { "No free times this week. Try the next week, or another practitioner." }
                </p>
            }
            { for days.into_iter().map(|(day, items)| html! {
                <section class="slot-day" data-date={display::date(day)} key={display::date(day)}>
                    <h4>{ day.format("%A %-d %B").to_string() }</h4>
                    <div class="slot-buttons">
                        { for items.into_iter().map(|slot| {
                            let is_selected = selected == Some(slot);
                            let who = dir.practitioner(slot.practitioner_id).map(|p| p.display_name.clone()).unwrap_or_default();
                            let onclick = {
                                let (on_slot, slot) = (on_slot.clone(), slot.clone());
                                Callback::from(move |_: MouseEvent| on_slot.emit(slot.clone()))
                            };
                            html! {
                                <button
                                    key={format!("{}-{}", slot.practitioner_id, slot.starts_at.timestamp())}
                                    type="button"
                                    class={classes!("free-slot", is_selected.then_some("selected"))}
                                    data-starts-at={display::wire_time(slot.starts_at)}
                                    data-practitioner-id={slot.practitioner_id.to_string()}
                                    aria-pressed={if is_selected { "true" } else { "false" }}
                                    aria-label={format!("{}, {} with {}", display::long_day(day), display::local_clock(slot.starts_at), who)}
                                    {onclick}
                                >
                                    <span class="time">{ display::local_clock(slot.starts_at) }</span>
                                    if show_who {
                                        <span class="who">{ who }</span>
                                    }
                                </button>
                            }
                        }) }
                    </div>
                </section>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct MyAppointmentsProps {
    mine: UseReducerHandle<crate::pages::appointments::Remote<Rc<Vec<Appointment>>>>,
    /// Reloads the slots and the list.
    reload: Callback<()>,
}

/// `<section id="my-appointments-section">` with `<table id="my-appointments">`.
#[component]
fn MyAppointments(props: &MyAppointmentsProps) -> Html {
    let session = use_session();
    let busy = use_state(|| None::<Uuid>);
    let error = use_state(|| None::<ApiError>);
    let status = use_state(|| None::<AttrValue>);
    // Whose cancel form is open: it stays open (with the reason) until the cancellation is
    // saved or kept.
    let asking = use_state(|| None::<Uuid>);
    let attempt = use_mut_ref(Attempt::default);
    let last = use_mut_ref(|| None::<(Uuid, String)>);

    let oncancel = {
        let last = last.clone();
        let (api, busy, error, status, asking) = (
            session.api().clone(),
            busy.clone(),
            error.clone(),
            status.clone(),
            asking.clone(),
        );
        let reload = props.reload.clone();
        Callback::from(move |(id, reason): (Uuid, String)| {
            if busy.is_some() {
                return;
            }
            *last.borrow_mut() = Some((id, reason.clone()));
            // One key per cancellation; the same one when it is sent again after a failure.
            let key = attempt
                .borrow_mut()
                .key_for(cancel_fingerprint(id, &reason));
            busy.set(Some(id));
            error.set(None);
            status.set(None);
            let (api, busy, error, status, asking, reload) = (
                api.clone(),
                busy.clone(),
                error.clone(),
                status.clone(),
                asking.clone(),
                reload.clone(),
            );
            let attempt = attempt.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api.cancel_appointment(id, &reason, key).await {
                    Ok(saved) => {
                        attempt.borrow_mut().finish();
                        asking.set(None);
                        status.set(Some(match saved {
                            Saved::Done(a) => AttrValue::from(format!(
                                "Your appointment of {} is cancelled.",
                                when(&a)
                            )),
                            Saved::Kept(_) => AttrValue::from(format!(
                                "Your cancellation is {}",
                                KEPT_MESSAGE.replacen("Kept", "kept", 1)
                            )),
                        }));
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(None);
                reload.emit(());
            });
        })
    };
    // "Try again" after a refused save sends the same cancellation (and key) again.
    let onretry = {
        let oncancel = oncancel.clone();
        Callback::from(move |()| {
            let again = last.borrow().clone();
            if let Some(again) = again {
                oncancel.emit(again);
            }
        })
    };
    let onask = {
        let asking = asking.clone();
        Callback::from(move |id: Option<Uuid>| asking.set(id))
    };

    let mine = &props.mine;
    let now = display::now();
    let items = mine.value.as_deref().map(Vec::as_slice).unwrap_or_default();
    html! {
        <section id="my-appointments-section" class="card" aria-labelledby="my-appointments-title">
            <h2 id="my-appointments-title">{ "My appointments" }</h2>
            <ProblemAlert
                id="my-appointments-error"
                error={(*error).clone().or_else(|| mine.error.clone())}
                {onretry}
            />
            if let Some(text) = &*status {
                <p id="my-appointments-status" class="status" role="status">{ text.clone() }</p>
            }
            <div class="table-wrap">
                <table id="my-appointments" class="table">
                    <thead>
                        <tr>
                            <th scope="col">{ "When" }</th>
                            <th scope="col">{ "With" }</th>
                            <th scope="col">{ "Reason" }</th>
                            <th scope="col">{ "Status" }</th>
                            <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        { for items.iter().map(|a| {
                            let cancellable = a.status == AppointmentStatus::Booked && a.starts_at > now;
                            html! {
                                <tr
                                    key={a.id.to_string()}
                                    data-appointment-id={a.id.to_string()}
                                    data-status={a.status.as_str()}
                                    class={classes!("appointment-row", (a.ends_at < now).then_some("past"))}
                                >
                                    <td class="when">{ when(a) }</td>
                                    <td class="practitioner">{ a.practitioner_name.clone() }</td>
                                    <td class="reason">
                                        { a.reason.clone() }
                                        if let Some(reason) = &a.cancel_reason {
                                            <span class="cancel-note">{ format!("Cancelled: {reason}") }</span>
                                        }
                                    </td>
                                    <td class="appointment-status">{ status_badge(a.status) }</td>
                                    <td class="actions">
                                        if cancellable {
                                            <CancelOwn
                                                appointment_id={a.id}
                                                what={AttrValue::from(format!("{} {}", display::short_day(display::local_date(a.starts_at)), time_range(a)))}
                                                disabled={busy.is_some()}
                                                open={*asking == Some(a.id)}
                                                onask={onask.clone()}
                                                oncancel={oncancel.clone()}
                                            />
                                        }
                                    </td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </div>
            if mine.loading && mine.value.is_none() {
                <p id="my-appointments-loading" class="loading" role="status">{ "Loading…" }</p>
            } else if items.is_empty() && mine.error.is_none() {
                <p id="my-appointments-empty" class="muted">{ "You have no appointments yet." }</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct CancelOwnProps {
    appointment_id: Uuid,
    /// When it is, for the button's accessible name.
    what: AttrValue,
    disabled: bool,
    /// The reason form is open.
    open: bool,
    /// Opens (`Some(id)`) or closes (`None`) the reason form.
    onask: Callback<Option<Uuid>>,
    oncancel: Callback<(Uuid, String)>,
}

/// "Cancel": asks for the reason in place, then calls `oncancel`; the form (and the reason)
/// stays until the cancellation is saved or kept, so a failed one can be sent again.
#[component]
fn CancelOwn(props: &CancelOwnProps) -> Html {
    let reason = use_state(String::new);
    let missing = use_state(|| false);

    if !props.open {
        let onclick = {
            let (onask, id) = (props.onask.clone(), props.appointment_id);
            Callback::from(move |_: MouseEvent| onask.emit(Some(id)))
        };
        return html! {
            <button
                type="button"
                class="button small secondary danger cancel-own"
                disabled={props.disabled}
                aria-label={format!("Cancel the appointment of {}", props.what)}
                {onclick}
            >
                { "Cancel" }
            </button>
        };
    }

    let input_id = format!("cancel-own-reason-{}", props.appointment_id);
    let oninput = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                reason.set(input.value());
            }
        })
    };
    let onsubmit = {
        let (reason, missing) = (reason.clone(), missing.clone());
        let (oncancel, id) = (props.oncancel.clone(), props.appointment_id);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = reason.trim().to_owned();
            if text.is_empty() {
                missing.set(true);
                return;
            }
            missing.set(false);
            oncancel.emit((id, text));
        })
    };
    let onabort = {
        let (onask, missing) = (props.onask.clone(), missing.clone());
        Callback::from(move |_: MouseEvent| {
            missing.set(false);
            onask.emit(None);
        })
    };
    html! {
        <form class="inline-reason-form" {onsubmit} novalidate=true>
            <label for={input_id.clone()}>{ "Reason" }</label>
            <input
                id={input_id.clone()}
                class="cancel-own-reason"
                type="text"
                placeholder="e.g. I cannot come that day"
                value={(*reason).clone()}
                aria-invalid={missing.then_some("true")}
                {oninput}
            />
            <button type="submit" class="button small primary cancel-own-confirm" disabled={props.disabled}>
                { "Cancel appointment" }
            </button>
            <button type="button" class="button small secondary cancel-own-abort" onclick={onabort}>
                { "Keep it" }
            </button>
            if *missing {
                <p class="field-error" id={format!("{input_id}-error")}>{ "Give a reason." }</p>
            }
        </form>
    }
}
