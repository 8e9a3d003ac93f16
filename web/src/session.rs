//! Who is signed in: the session context, its provider, and refresh-token storage.
//!
//! The access token lives only in memory (inside [`Api`]); the refresh token is kept in
//! `localStorage` under [`REFRESH_TOKEN_KEY`] so a reload can restore the session.

use std::rc::Rc;

use hms_api_types::users::User;
use yew::prelude::*;

use crate::api::Api;

/// The `localStorage` key of the refresh token.
pub const REFRESH_TOKEN_KEY: &str = "hms.refresh_token";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored refresh token, if any.
pub fn stored_refresh_token() -> Option<String> {
    local_storage()?
        .get_item(REFRESH_TOKEN_KEY)
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
}

/// Remembers the refresh token. Without storage (private mode) the session simply does not
/// survive a reload.
pub fn store_refresh_token(token: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(REFRESH_TOKEN_KEY, token);
    }
}

/// Forgets the refresh token.
pub fn clear_refresh_token() {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(REFRESH_TOKEN_KEY);
    }
}

/// Where the session stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// A stored refresh token is being exchanged at start-up.
    Restoring,
    SignedOut,
    SignedIn(Rc<User>),
}

/// The session as the views see it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionState {
    pub phase: Phase,
    /// A message for the login page, e.g. why the session ended.
    pub notice: Option<&'static str>,
}

/// What happened to the session; sent by [`Api`] and the views.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    SignedIn(User),
    /// The server sent a fresher copy of the signed-in account.
    UserChanged(User),
    SignedOut(Option<&'static str>),
    DismissNotice,
}

impl Reducible for SessionState {
    type Action = SessionEvent;

    fn reduce(self: Rc<Self>, event: SessionEvent) -> Rc<Self> {
        let next = match event {
            SessionEvent::SignedIn(user) => SessionState {
                phase: Phase::SignedIn(Rc::new(user)),
                notice: None,
            },
            SessionEvent::UserChanged(user) => match &self.phase {
                Phase::SignedIn(current) if **current != user => SessionState {
                    phase: Phase::SignedIn(Rc::new(user)),
                    notice: self.notice,
                },
                _ => return self,
            },
            SessionEvent::SignedOut(notice) => SessionState {
                phase: Phase::SignedOut,
                notice: notice.or(match self.phase {
                    // Keep a notice that is still on screen when nothing new is said.
                    Phase::SignedOut => self.notice,
                    _ => None,
                }),
            },
            SessionEvent::DismissNotice => SessionState {
                phase: self.phase.clone(),
                notice: None,
            },
        };
        Rc::new(next)
    }
}

/// The context value: the session state and the API client bound to it.
#[derive(Clone, PartialEq)]
pub struct Session {
    state: UseReducerHandle<SessionState>,
    api: Api,
}

impl Session {
    pub fn phase(&self) -> &Phase {
        &self.state.phase
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<Rc<User>> {
        match &self.state.phase {
            Phase::SignedIn(user) => Some(user.clone()),
            _ => None,
        }
    }

    pub fn notice(&self) -> Option<&'static str> {
        self.state.notice
    }

    pub fn dismiss_notice(&self) {
        self.state.dispatch(SessionEvent::DismissNotice);
    }

    pub fn api(&self) -> &Api {
        &self.api
    }
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

/// Provides [`Session`] to its children and restores a stored session once, at start-up.
#[component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let state = use_reducer(|| SessionState {
        phase: if stored_refresh_token().is_some() {
            Phase::Restoring
        } else {
            Phase::SignedOut
        },
        notice: None,
    });
    let api = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            Api::new(Callback::from(move |event| dispatcher.dispatch(event)))
        })
    };

    {
        let api = (*api).clone();
        let restoring = state.phase == Phase::Restoring;
        use_effect_with((), move |_| {
            if restoring {
                wasm_bindgen_futures::spawn_local(async move { api.restore().await });
            }
        });
    }

    let session = Session {
        state,
        api: (*api).clone(),
    };
    html! {
        <ContextProvider<Session> context={session}>
            { props.children.clone() }
        </ContextProvider<Session>>
    }
}

/// The current session. Must be used below [`SessionProvider`], which wraps the whole app.
#[hook]
pub fn use_session() -> Session {
    use_context::<Session>().expect("SessionProvider wraps the whole app")
}
