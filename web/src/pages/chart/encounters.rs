//! The encounters tab: visits and stays with their clinical notes; for clinical writers, the
//! encounter form, "End encounter" and the note form.

use hms_api_types::records::{
    Encounter, EncounterType, NewClinicalNote, NewEncounter, NoteType, UpdateEncounter,
};
use uuid::Uuid;
use yew::prelude::*;

use super::list::{
    in_error_note, list_footer, list_messages, row_class, submit_new, use_record_list,
    AddFormProps, ListHandle, MarkInError, RecordTabProps,
};
use crate::api::{Api, ApiError};
use crate::components::field::{Field, SelectField, TextAreaField};
use crate::components::problem_alert::ProblemAlert;
use crate::display;
use crate::form::{setter, use_form, FormAction};
use crate::session::use_session;

const ENCOUNTER_TYPES: [EncounterType; 5] = [
    EncounterType::Outpatient,
    EncounterType::Inpatient,
    EncounterType::Emergency,
    EncounterType::Telehealth,
    EncounterType::HomeVisit,
];

const NOTE_TYPES: [NoteType; 6] = [
    NoteType::Progress,
    NoteType::Admission,
    NoteType::Discharge,
    NoteType::Consultation,
    NoteType::Procedure,
    NoteType::Nursing,
];

/// `<section id="encounters">` with `<ol id="encounters-list">`.
#[component]
pub fn EncountersTab(props: &RecordTabProps) -> Html {
    let session = use_session();
    let list = use_record_list::<Encounter>(session.api().clone(), props.patient_id);
    // The encounter whose note form is open (one at a time).
    let note_for = use_state(|| None::<Uuid>);
    html! {
        <section id="encounters" class="tab-panel">
            if props.write {
                <EncounterForm patient_id={props.patient_id} onadded={list.on_added()} />
            }
            <h2>{ "Encounters" }</h2>
            { list_messages("encounters", &list) }
            <ol id="encounters-list" class="encounters">
                { for list.state.visible().map(|e| encounter_item(e, &list, props.write, &note_for, session.api())) }
            </ol>
            { list_footer("encounters", &list, "No encounters recorded.") }
        </section>
    }
}

fn encounter_item(
    encounter: &Encounter,
    list: &ListHandle<Encounter>,
    write: bool,
    note_for: &UseStateHandle<Option<Uuid>>,
    api: &Api,
) -> Html {
    let patient_id = encounter.patient_id;
    let in_error = encounter.entered_in_error.as_ref();
    let busy = list.state.busy.is_some();
    let writable = write && in_error.is_none();
    let note_open = **note_for == Some(encounter.id);
    let onend = {
        let (list, encounter) = (list.clone(), encounter.clone());
        Callback::from(move |_: MouseEvent| {
            let change = UpdateEncounter {
                ended_at: Some(display::now()),
                ..UpdateEncounter::default()
            };
            list.update(&encounter, change, "Encounter ended.");
        })
    };
    let onnote = {
        let (note_for, id) = (note_for.clone(), encounter.id);
        Callback::from(move |_: MouseEvent| note_for.set(Some(id)))
    };
    let onclose = {
        let note_for = note_for.clone();
        Callback::from(move |()| note_for.set(None))
    };
    let period = match encounter.ended_at {
        Some(end) => format!(
            "{} – {}",
            display::local_time(encounter.started_at),
            display::local_time(end)
        ),
        None => format!("{} – ongoing", display::local_time(encounter.started_at)),
    };
    let onmark_note = {
        let (list, api, encounter) = (list.clone(), api.clone(), encounter.clone());
        Callback::from(move |(note_id, reason): (Uuid, String)| {
            let (api, mut encounter) = (api.clone(), encounter.clone());
            list.change(encounter.id, async move {
                let note = api
                    .mark_note_entered_in_error(patient_id, encounter.id, note_id, &reason)
                    .await?;
                if let Some(old) = encounter.notes.iter_mut().find(|n| n.id == note.id) {
                    *old = note;
                }
                Ok((
                    encounter,
                    AttrValue::Static("Note marked as entered in error."),
                ))
            });
        })
    };
    let notes = encounter
        .notes
        .iter()
        .filter(|n| list.state.include_in_error || n.entered_in_error.is_none());
    html! {
        <li
            key={encounter.id.to_string()}
            class={classes!("encounter", row_class(in_error))}
            data-entry-id={encounter.id.to_string()}
        >
            <div class="encounter-head">
                <span class="badge encounter-type">{ display::label(&encounter.encounter_type) }</span>
                <span class="period">{ period }</span>
                <span class="clinician muted">{ encounter.clinician_name.clone() }</span>
            </div>
            <p class="reason">{ encounter.reason.clone() }</p>
            { in_error_note(in_error) }
            <ul class="notes">
                { for notes.map(|note| html! {
                    <li
                        key={note.id.to_string()}
                        class={classes!("note", row_class(note.entered_in_error.as_ref()))}
                        data-note-id={note.id.to_string()}
                    >
                        <div class="note-head">
                            <strong class="note-type">{ display::label(&note.note_type) }</strong>
                            <span class="muted">
                                { format!(" · {} · {}", note.author_name, display::local_time(note.written_at)) }
                            </span>
                        </div>
                        <p class="note-body">{ note.body.clone() }</p>
                        { in_error_note(note.entered_in_error.as_ref()) }
                        if writable && note.entered_in_error.is_none() {
                            <MarkInError
                                entry_id={note.id}
                                what={format!("{} note", display::label(&note.note_type))}
                                disabled={busy}
                                onmark={onmark_note.clone()}
                            />
                        }
                    </li>
                }) }
            </ul>
            if writable {
                <div class="encounter-actions">
                    if encounter.ended_at.is_none() {
                        <button type="button" class="button small secondary end-encounter" disabled={busy} onclick={onend}>
                            { "End encounter" }
                        </button>
                    }
                    if !note_open {
                        <button type="button" class="button small secondary add-note" onclick={onnote}>
                            { "Add note" }
                        </button>
                    }
                    <MarkInError
                        entry_id={encounter.id}
                        what={format!("encounter of {}", display::local_time(encounter.started_at))}
                        disabled={busy}
                        onmark={list.on_mark_in_error()}
                    />
                </div>
                if note_open {
                    <NoteForm
                        {patient_id}
                        encounter={encounter.clone()}
                        onadded={list.on_changed()}
                        {onclose}
                    />
                }
            }
        </li>
    }
}

/// The values of the encounter form; `encounter_type` is a wire name.
#[derive(Debug, Clone, PartialEq)]
struct EncounterValues {
    encounter_type: String,
    reason: String,
    /// `datetime-local`; empty means now.
    start: String,
}

impl Default for EncounterValues {
    fn default() -> Self {
        EncounterValues {
            encounter_type: display::wire(&EncounterType::Outpatient),
            reason: String::new(),
            start: String::new(),
        }
    }
}

impl EncounterValues {
    fn request(&self) -> Result<NewEncounter, ApiError> {
        let encounter_type = display::parse_wire(&self.encounter_type)
            .ok_or_else(|| ApiError::invalid("encounter_type", "Choose a type."))?;
        let started_at = match self.start.trim() {
            "" => None,
            text => Some(
                display::parse_local_datetime(text)
                    .ok_or_else(|| ApiError::invalid("started_at", "Enter a date and time."))?,
            ),
        };
        Ok(NewEncounter {
            encounter_type,
            started_at,
            ended_at: None,
            reason: self.reason.trim().to_owned(),
            clinician_id: None,
        })
    }
}

/// `<form id="encounter-form">`.
#[component]
fn EncounterForm(props: &AddFormProps<Encounter>) -> Html {
    let session = use_session();
    let form = use_form::<EncounterValues>();
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (patient_id, onadded) = (props.patient_id, props.onadded.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = form.values.request();
            submit_new(
                &form,
                &api,
                patient_id,
                request,
                &onadded,
                "Encounter added.",
            );
        })
    };
    html! {
        <section class="card add-card" aria-labelledby="encounter-form-title">
            <h2 id="encounter-form-title">{ "New encounter" }</h2>
            <form id="encounter-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="encounter-form-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="encounter-form-status" class="status" role="status">{ done.clone() }</p>
                }
                <SelectField
                    id="encounter-type"
                    label="Type"
                    value={form.values.encounter_type.clone()}
                    options={display::options(None, &ENCOUNTER_TYPES)}
                    onchange={setter(&form, |v, s| v.encounter_type = s)}
                    error={form.field_error("encounter_type")}
                />
                <Field
                    id="encounter-reason"
                    label="Reason"
                    value={form.values.reason.clone()}
                    oninput={setter(&form, |v, s| v.reason = s)}
                    error={form.field_error("reason")}
                    required=true
                />
                <Field
                    id="encounter-start"
                    label="Started"
                    kind="datetime-local"
                    hint="Leave empty for now."
                    value={form.values.start.clone()}
                    oninput={setter(&form, |v, s| v.start = s)}
                    error={form.field_error("started_at")}
                />
                <div class="form-actions">
                    <button id="encounter-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Adding…" } else { "Add encounter" } }
                    </button>
                </div>
            </form>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq)]
struct NoteValues {
    note_type: String,
    body: String,
}

impl Default for NoteValues {
    fn default() -> Self {
        NoteValues {
            note_type: display::wire(&NoteType::Progress),
            body: String::new(),
        }
    }
}

#[derive(Properties, PartialEq)]
struct NoteFormProps {
    patient_id: Uuid,
    encounter: Encounter,
    /// Gets the encounter with the new note.
    onadded: Callback<(Encounter, AttrValue)>,
    onclose: Callback<()>,
}

/// `<form id="note-form">`, under the encounter it adds to.
#[component]
fn NoteForm(props: &NoteFormProps) -> Html {
    let session = use_session();
    let form = use_form::<NoteValues>();
    let onsubmit = {
        let (form, api) = (form.clone(), session.api().clone());
        let (patient_id, encounter) = (props.patient_id, props.encounter.clone());
        let (onadded, onclose) = (props.onadded.clone(), props.onclose.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let Some(note_type) = display::parse_wire(&form.values.note_type) else {
                form.dispatch(FormAction::Failed(ApiError::invalid(
                    "note_type",
                    "Choose a type.",
                )));
                return;
            };
            let request = NewClinicalNote {
                note_type,
                body: form.values.body.trim().to_owned(),
            };
            form.dispatch(FormAction::Submit);
            let (form, api) = (form.dispatcher(), api.clone());
            let (mut encounter, onadded, onclose) =
                (encounter.clone(), onadded.clone(), onclose.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.add_note(patient_id, encounter.id, &request).await {
                    Ok(note) => {
                        form.dispatch(FormAction::Succeeded(None));
                        encounter.notes.push(note);
                        onadded.emit((encounter, AttrValue::Static("Note added.")));
                        onclose.emit(());
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let oncancel = {
        let onclose = props.onclose.clone();
        Callback::from(move |_: MouseEvent| onclose.emit(()))
    };
    html! {
        <form id="note-form" class="grid-form note-form" {onsubmit} novalidate=true>
            <ProblemAlert id="note-form-error" error={form.error.clone()} />
            <SelectField
                id="note-type"
                label="Note type"
                value={form.values.note_type.clone()}
                options={display::options(None, &NOTE_TYPES)}
                onchange={setter(&form, |v, s| v.note_type = s)}
                error={form.field_error("note_type")}
            />
            <TextAreaField
                id="note-body"
                label="Note"
                value={form.values.body.clone()}
                oninput={setter(&form, |v, s| v.body = s)}
                error={form.field_error("body")}
                rows={6}
                required=true
            />
            <div class="form-actions">
                <button id="note-submit" type="submit" class="button primary" disabled={form.submitting}>
                    { if form.submitting { "Saving…" } else { "Add note" } }
                </button>
                <button id="note-cancel" type="button" class="button secondary" onclick={oncancel}>
                    { "Cancel" }
                </button>
            </div>
        </form>
    }
}
