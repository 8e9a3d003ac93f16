//! Account administration: find, create, deactivate and reactivate user accounts.

use std::rc::Rc;

use hms_api_types::users::{CreateUser, UpdateUser, User, UserPage};
use hms_api_types::Role;
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::users::UserFilter;
use crate::api::{Api, ApiError};
use crate::components::field::{Field, SelectField};
use crate::components::problem_alert::ProblemAlert;
use crate::form::{use_form, FormAction};
use crate::session::use_session;

/// Shown when an account changed between loading the list and acting on it (HTTP 412).
const STALE_MESSAGE: &str =
    "This account was changed by someone else, so the list was reloaded. Check it and try again.";

/// The list as shown, and what is loading.
#[derive(Debug, Clone, Default, PartialEq)]
struct UserList {
    /// The filter of the rows on screen (or being loaded).
    filter: UserFilter,
    items: Vec<User>,
    next_cursor: Option<String>,
    loading: bool,
    /// The newest load; answers to older ones are dropped.
    seq: u32,
    /// Whether the newest load adds a page rather than replacing the rows.
    appending: bool,
    load_error: Option<ApiError>,
    /// The row whose change is in flight.
    busy: Option<Uuid>,
    action_error: Option<ApiError>,
    status: Option<AttrValue>,
}

enum ListAction {
    Load {
        seq: u32,
        filter: UserFilter,
        append: bool,
    },
    Loaded {
        seq: u32,
        result: Result<UserPage, ApiError>,
    },
    Change(Uuid),
    Changed(User),
    ChangeFailed(ApiError),
}

impl Reducible for UserList {
    type Action = ListAction;

    fn reduce(self: Rc<Self>, action: ListAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ListAction::Load {
                seq,
                filter,
                append,
            } => {
                next.seq = seq;
                next.filter = filter;
                next.appending = append;
                next.loading = true;
                next.load_error = None;
            }
            ListAction::Loaded { seq, result } => {
                if seq != self.seq {
                    return self;
                }
                next.loading = false;
                match result {
                    Ok(page) => {
                        if next.appending {
                            next.items.extend(page.items);
                        } else {
                            next.items = page.items;
                        }
                        next.next_cursor = page.next_cursor;
                    }
                    Err(error) => next.load_error = Some(error),
                }
            }
            ListAction::Change(id) => {
                next.busy = Some(id);
                next.action_error = None;
                next.status = None;
            }
            ListAction::Changed(user) => {
                next.busy = None;
                next.status = Some(AttrValue::from(format!(
                    "{} is now {}.",
                    user.email,
                    if user.active { "active" } else { "inactive" }
                )));
                if let Some(row) = next.items.iter_mut().find(|u| u.id == user.id) {
                    *row = user;
                }
            }
            ListAction::ChangeFailed(error) => {
                next.busy = None;
                next.action_error = Some(error);
            }
        }
        Rc::new(next)
    }
}

/// The values of the new-user form; `role` is a wire name, empty until chosen.
#[derive(Debug, Clone, Default, PartialEq)]
struct NewUser {
    email: String,
    display_name: String,
    role: String,
    password: String,
    /// For patient accounts: the id of the patient record the account reads.
    patient_id: String,
}

fn role_options(
    first: (&'static str, &'static str),
    roles: &[Role],
) -> Vec<(AttrValue, AttrValue)> {
    std::iter::once((AttrValue::Static(first.0), AttrValue::Static(first.1)))
        .chain(
            roles
                .iter()
                .copied()
                .map(|r| (AttrValue::Static(r.as_str()), AttrValue::Static(r.label()))),
        )
        .collect()
}

fn format_time(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "Never".to_owned())
}

/// `<main id="users-page">`: the new-user form and the filtered user table.
#[component]
pub fn UsersPage() -> Html {
    let session = use_session();
    let api = session.api().clone();
    let list = use_reducer(UserList::default);
    let seq = use_mut_ref(|| 0u32);
    let search = use_state(String::new);

    // Loads the first page for a filter, or the page after a cursor.
    let load = {
        let list = list.dispatcher();
        let api = api.clone();
        Callback::from(move |(filter, cursor): (UserFilter, Option<String>)| {
            let id = {
                let mut seq = seq.borrow_mut();
                *seq = seq.wrapping_add(1);
                *seq
            };
            list.dispatch(ListAction::Load {
                seq: id,
                filter: filter.clone(),
                append: cursor.is_some(),
            });
            let list = list.clone();
            let api = api.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.list_users(&filter, cursor.as_deref()).await;
                list.dispatch(ListAction::Loaded { seq: id, result });
            });
        })
    };

    {
        let load = load.clone();
        use_effect_with((), move |_| load.emit((UserFilter::default(), None)));
    }

    let on_search_input = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                search.set(input.value());
            }
        })
    };
    let on_filter_submit = {
        let load = load.clone();
        let list = list.clone();
        let search = search.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let filter = UserFilter {
                q: (*search).clone(),
                ..list.filter.clone()
            };
            load.emit((filter, None));
        })
    };
    let on_role_filter = {
        let load = load.clone();
        let list = list.clone();
        let search = search.clone();
        Callback::from(move |value: String| {
            let filter = UserFilter {
                q: (*search).clone(),
                role: Role::parse(&value),
                active: list.filter.active,
            };
            load.emit((filter, None));
        })
    };
    let on_active_filter = {
        let load = load.clone();
        let list = list.clone();
        let search = search.clone();
        Callback::from(move |value: String| {
            let filter = UserFilter {
                q: (*search).clone(),
                role: list.filter.role,
                active: value.parse().ok(),
            };
            load.emit((filter, None));
        })
    };
    let on_load_more = {
        let load = load.clone();
        let list = list.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(cursor) = list.next_cursor.clone() {
                load.emit((list.filter.clone(), Some(cursor)));
            }
        })
    };
    let reload = {
        let load = load.clone();
        let list = list.clone();
        Callback::from(move |()| load.emit((list.filter.clone(), None)))
    };

    let role_filter = list.filter.role.map_or("", Role::as_str);
    let active_filter = match list.filter.active {
        None => "",
        Some(true) => "true",
        Some(false) => "false",
    };

    html! {
        <main id="users-page" class="page">
            <h1>{ "Users" }</h1>
            <NewUserForm api={api.clone()} on_created={reload.clone()} />

            <section class="card" aria-labelledby="accounts-title">
                <h2 id="accounts-title">{ "Accounts" }</h2>
                <form id="user-filters" class="filters" onsubmit={on_filter_submit} role="search">
                    <div class="field">
                        <label for="user-search">{ "Search" }</label>
                        <input
                            id="user-search"
                            type="search"
                            placeholder="Email or name"
                            value={(*search).clone()}
                            oninput={on_search_input}
                        />
                    </div>
                    <SelectField
                        id="user-role-filter"
                        label="Role"
                        value={role_filter}
                        options={role_options(("", "All roles"), &Role::ALL)}
                        onchange={on_role_filter}
                    />
                    <SelectField
                        id="user-active-filter"
                        label="Status"
                        value={active_filter}
                        options={vec![
                            (AttrValue::Static(""), AttrValue::Static("Any status")),
                            (AttrValue::Static("true"), AttrValue::Static("Active")),
                            (AttrValue::Static("false"), AttrValue::Static("Inactive")),
                        ]}
                        onchange={on_active_filter}
                    />
                    <button id="user-search-submit" type="submit" class="button secondary">
                        { "Search" }
                    </button>
                </form>

                <ProblemAlert id="users-error" error={list.load_error.clone()} />
                <ProblemAlert id="users-action-error" error={list.action_error.clone()} />
                if let Some(status) = &list.status {
                    <p id="users-status" class="status" role="status">{ status.clone() }</p>
                }

                <div class="table-wrap">
                    <table id="users-table" class="table">
                        <thead>
                            <tr>
                                <th scope="col">{ "Email" }</th>
                                <th scope="col">{ "Name" }</th>
                                <th scope="col">{ "Role" }</th>
                                <th scope="col">{ "Status" }</th>
                                <th scope="col">{ "Last sign-in" }</th>
                                <th scope="col"><span class="visually-hidden">{ "Actions" }</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            { for list.items.iter().map(|user| html! {
                                <UserRow
                                    key={user.id.to_string()}
                                    user={user.clone()}
                                    busy={list.busy.is_some()}
                                    api={api.clone()}
                                    list={list.dispatcher()}
                                    reload={reload.clone()}
                                />
                            }) }
                        </tbody>
                    </table>
                </div>
                if list.loading {
                    <p id="users-loading" class="loading" role="status">{ "Loading users…" }</p>
                } else if list.items.is_empty() && list.load_error.is_none() {
                    <p id="users-empty" class="muted">{ "No users match these filters." }</p>
                }
                if list.next_cursor.is_some() && !list.loading {
                    <button id="users-load-more" type="button" class="button secondary" onclick={on_load_more}>
                        { "Load more" }
                    </button>
                }
            </section>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct UserRowProps {
    user: User,
    /// A change is in flight (on any row).
    busy: bool,
    api: Api,
    list: UseReducerDispatcher<UserList>,
    reload: Callback<()>,
}

/// One table row, with the deactivate / reactivate button.
#[component]
fn UserRow(props: &UserRowProps) -> Html {
    let user = &props.user;
    let onclick = {
        let api = props.api.clone();
        let list = props.list.clone();
        let reload = props.reload.clone();
        let (id, version, active) = (user.id, user.version, user.active);
        Callback::from(move |_: MouseEvent| {
            list.dispatch(ListAction::Change(id));
            let (api, list, reload) = (api.clone(), list.clone(), reload.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let change = UpdateUser {
                    active: Some(!active),
                    ..UpdateUser::default()
                };
                match api.update_user(id, version, &change).await {
                    Ok(user) => list.dispatch(ListAction::Changed(user)),
                    Err(error) if error.status() == Some(412) => {
                        list.dispatch(ListAction::ChangeFailed(error.with_detail(STALE_MESSAGE)));
                        reload.emit(());
                    }
                    Err(error) => list.dispatch(ListAction::ChangeFailed(error)),
                }
            });
        })
    };
    let (label, verb) = if user.active {
        ("Active", "Deactivate")
    } else {
        ("Inactive", "Reactivate")
    };
    html! {
        <tr data-user-id={user.id.to_string()} data-email={user.email.clone()}>
            <td class="email">{ user.email.clone() }</td>
            <td class="name">{ user.display_name.clone() }</td>
            <td class="role" data-role={user.role.as_str()}>{ user.role.label() }</td>
            <td class="active">
                <span class={classes!("pill", if user.active { "ok" } else { "off" })}>{ label }</span>
            </td>
            <td class="last-login">{ format_time(user.last_login_at) }</td>
            <td class="actions">
                <button
                    type="button"
                    class="button small secondary toggle-active"
                    disabled={props.busy}
                    aria-label={format!("{verb} {}", user.email)}
                    {onclick}
                >
                    { verb }
                </button>
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
struct NewUserFormProps {
    api: Api,
    /// Called after an account was created.
    on_created: Callback<()>,
}

/// `<form id="new-user-form">`.
#[component]
fn NewUserForm(props: &NewUserFormProps) -> Html {
    let form = use_form::<NewUser>();

    let onsubmit = {
        let form = form.clone();
        let api = props.api.clone();
        let on_created = props.on_created.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.submitting {
                return;
            }
            let values = &form.values;
            let Some(role) = Role::parse(&values.role) else {
                form.dispatch(FormAction::Failed(ApiError::invalid(
                    "role",
                    "Choose a role.",
                )));
                return;
            };
            let patient_id = if role == Role::Patient {
                match Uuid::parse_str(values.patient_id.trim()) {
                    Ok(id) => Some(id),
                    Err(_) => {
                        form.dispatch(FormAction::Failed(ApiError::invalid(
                            "patient_id",
                            "Enter the patient's id, as in the address of their chart.",
                        )));
                        return;
                    }
                }
            } else {
                None
            };
            let request = CreateUser {
                email: values.email.trim().to_owned(),
                display_name: values.display_name.trim().to_owned(),
                role,
                password: values.password.clone(),
                patient_id,
            };
            form.dispatch(FormAction::Submit);
            let form = form.dispatcher();
            let (api, on_created) = (api.clone(), on_created.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.create_user(&request).await {
                    Ok(user) => {
                        form.dispatch(FormAction::Succeeded(Some(AttrValue::from(format!(
                            "Created {} ({}).",
                            user.email,
                            user.role.label()
                        )))));
                        on_created.emit(());
                    }
                    Err(error) => form.dispatch(FormAction::Failed(error)),
                }
            });
        })
    };
    let edit = |set: fn(&mut NewUser, String)| {
        let form = form.dispatcher();
        Callback::from(move |v: String| form.dispatch(FormAction::edit(move |n| set(n, v))))
    };

    html! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title">{ "New user" }</h2>
            <form id="new-user-form" class="grid-form" {onsubmit} novalidate=true>
                <ProblemAlert id="new-user-error" error={form.error.clone()} />
                if let Some(done) = &form.done {
                    <p id="new-user-created" class="status" role="status">{ done.clone() }</p>
                }
                <Field
                    id="new-user-email"
                    label="Email"
                    kind="email"
                    autocomplete="off"
                    value={form.values.email.clone()}
                    oninput={edit(|n, v| n.email = v)}
                    error={form.field_error("email")}
                    required=true
                />
                <Field
                    id="new-user-display-name"
                    label="Display name"
                    autocomplete="off"
                    value={form.values.display_name.clone()}
                    oninput={edit(|n, v| n.display_name = v)}
                    error={form.field_error("display_name")}
                    required=true
                />
                <SelectField
                    id="new-user-role"
                    label="Role"
                    value={form.values.role.clone()}
                    options={role_options(("", "Choose a role…"), &Role::PEOPLE)}
                    onchange={edit(|n, v| n.role = v)}
                    error={form.field_error("role")}
                />
                if form.values.role == Role::Patient.as_str() {
                    <Field
                        id="new-user-patient-id"
                        label="Patient id"
                        autocomplete="off"
                        hint="The record this account may read: the id in the address of the patient's chart."
                        value={form.values.patient_id.clone()}
                        oninput={edit(|n, v| n.patient_id = v)}
                        error={form.field_error("patient_id")}
                        required=true
                    />
                }
                <Field
                    id="new-user-password"
                    label="Initial password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters. Share it with the person securely."
                    value={form.values.password.clone()}
                    oninput={edit(|n, v| n.password = v)}
                    error={form.field_error("password")}
                    required=true
                />
                <div class="form-actions">
                    <button id="new-user-submit" type="submit" class="button primary" disabled={form.submitting}>
                        { if form.submitting { "Creating…" } else { "Create user" } }
                    </button>
                </div>
            </form>
        </section>
    }
}
