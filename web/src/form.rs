//! A small reducer for multi-field forms: field values, the submitting flag and the last error.

use std::rc::Rc;

use yew::prelude::*;

use crate::api::ApiError;

/// The state of a form whose values are `F`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form<F> {
    pub values: F,
    pub submitting: bool,
    /// Why the last submission failed.
    pub error: Option<ApiError>,
    /// What the last successful submission did, for a status line.
    pub done: Option<AttrValue>,
}

impl<F> Form<F> {
    /// The server's message about one field of the last submission.
    pub fn field_error(&self, name: &str) -> Option<AttrValue> {
        self.error.as_ref().and_then(|e| e.field(name))
    }
}

/// A change to a [`Form`].
pub enum FormAction<F> {
    /// Changes the values (typing, selecting).
    Edit(Box<dyn FnOnce(&mut F)>),
    /// A submission started: clears the previous outcome.
    Submit,
    Failed(ApiError),
    /// The submission succeeded: resets the values and notes what happened.
    Succeeded(Option<AttrValue>),
}

impl<F> FormAction<F> {
    pub fn edit(change: impl FnOnce(&mut F) + 'static) -> Self {
        FormAction::Edit(Box::new(change))
    }
}

impl<F: Clone + Default + 'static> Reducible for Form<F> {
    type Action = FormAction<F>;

    fn reduce(self: Rc<Self>, action: FormAction<F>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::Edit(change) => change(&mut next.values),
            FormAction::Submit => {
                next.submitting = true;
                next.error = None;
                next.done = None;
            }
            FormAction::Failed(error) => {
                next.submitting = false;
                next.error = Some(error);
            }
            FormAction::Succeeded(done) => {
                next = Form {
                    done,
                    ..Form::default()
                };
            }
        }
        Rc::new(next)
    }
}

/// A form reducer starting from empty values.
#[hook]
pub fn use_form<F: Clone + Default + 'static>() -> UseReducerHandle<Form<F>> {
    use_reducer(Form::<F>::default)
}

/// A form reducer starting from `init()` (e.g. an edit form filled from what is on record).
#[hook]
pub fn use_form_with<F, I>(init: I) -> UseReducerHandle<Form<F>>
where
    F: Clone + Default + 'static,
    I: FnOnce() -> F,
{
    use_reducer(move || Form {
        values: init(),
        ..Form::default()
    })
}

/// A callback for one text control: stores the typed value with `set`.
pub fn setter<F: Clone + Default + 'static>(
    form: &UseReducerHandle<Form<F>>,
    set: fn(&mut F, String),
) -> Callback<String> {
    let form = form.dispatcher();
    Callback::from(move |v: String| form.dispatch(FormAction::edit(move |f: &mut F| set(f, v))))
}
