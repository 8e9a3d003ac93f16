//! Labelled form controls with the server's per-field error underneath.

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// The control's id; its error gets the id `{id}-error`.
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    /// The input's `type`.
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    #[prop_or_default]
    pub autocomplete: Option<AttrValue>,
    /// The server's message about this field.
    #[prop_or_default]
    pub error: Option<AttrValue>,
    /// A short help text shown under the label.
    #[prop_or_default]
    pub hint: Option<AttrValue>,
    /// The unit shown after the input ("mmHg").
    #[prop_or_default]
    pub unit: Option<AttrValue>,
    /// The input's `inputmode` (`decimal` brings up a number pad without `type="number"`
    /// silently dropping what it cannot parse).
    #[prop_or_default]
    pub inputmode: Option<AttrValue>,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub required: bool,
    #[prop_or_default]
    pub disabled: bool,
}

fn described_by(id: &str, hint: bool, error: bool) -> Option<AttrValue> {
    described_by_all(id, false, hint, error)
}

/// `aria-describedby` pointing at the unit, hint and error that are present.
fn described_by_all(id: &str, unit: bool, hint: bool, error: bool) -> Option<AttrValue> {
    let ids: Vec<String> = [(unit, "unit"), (hint, "hint"), (error, "error")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, suffix)| format!("{id}-{suffix}"))
        .collect();
    (!ids.is_empty()).then(|| AttrValue::from(ids.join(" ")))
}

fn field_messages(id: &str, hint: &Option<AttrValue>, error: &Option<AttrValue>) -> Html {
    html! {
        <>
            if let Some(hint) = hint {
                <p class="field-hint" id={format!("{id}-hint")}>{ hint.clone() }</p>
            }
            if let Some(error) = error {
                <p class="field-error" id={format!("{id}-error")}>{ error.clone() }</p>
            }
        </>
    }
}

/// A labelled `<input>`.
#[component]
pub fn Field(props: &FieldProps) -> Html {
    let oninput = {
        let callback = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                callback.emit(input.value());
            }
        })
    };
    let id = props.id.as_str();
    let input = html! {
        <input
            id={props.id.clone()}
            name={props.id.clone()}
            type={props.kind.clone()}
            value={props.value.clone()}
            autocomplete={props.autocomplete.clone()}
            inputmode={props.inputmode.clone()}
            placeholder={props.placeholder.clone()}
            required={props.required}
            disabled={props.disabled}
            aria-invalid={props.error.is_some().then_some("true")}
            aria-describedby={described_by_all(
                id,
                props.unit.is_some(),
                props.hint.is_some(),
                props.error.is_some(),
            )}
            {oninput}
        />
    };
    html! {
        <div class={classes!("field", props.error.is_some().then_some("has-error"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            if let Some(unit) = &props.unit {
                <div class="input-unit">
                    { input }
                    <span class="unit" id={format!("{id}-unit")}>{ unit.clone() }</span>
                </div>
            } else {
                { input }
            }
            { field_messages(id, &props.hint, &props.error) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SelectFieldProps {
    /// The control's id; its error gets the id `{id}-error`.
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    /// `(value, label)` pairs, in display order.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub onchange: Callback<String>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
}

/// A labelled `<select>`.
#[component]
pub fn SelectField(props: &SelectFieldProps) -> Html {
    let onchange = {
        let callback = props.onchange.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<HtmlSelectElement>() {
                callback.emit(select.value());
            }
        })
    };
    let id = props.id.as_str();
    html! {
        <div class={classes!("field", props.error.is_some().then_some("has-error"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <select
                id={props.id.clone()}
                name={props.id.clone()}
                disabled={props.disabled}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-describedby={described_by(id, false, props.error.is_some())}
                {onchange}
            >
                { for props.options.iter().map(|(value, label)| html! {
                    <option value={value.clone()} selected={*value == props.value}>
                        { label.clone() }
                    </option>
                }) }
            </select>
            { field_messages(id, &None, &props.error) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextAreaFieldProps {
    /// The control's id; its error gets the id `{id}-error`.
    pub id: AttrValue,
    pub label: AttrValue,
    pub value: AttrValue,
    pub oninput: Callback<String>,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    #[prop_or(4)]
    pub rows: u32,
    #[prop_or_default]
    pub required: bool,
}

/// A labelled `<textarea>`.
#[component]
pub fn TextAreaField(props: &TextAreaFieldProps) -> Html {
    let oninput = {
        let callback = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e.target_dyn_into::<HtmlTextAreaElement>() {
                callback.emit(area.value());
            }
        })
    };
    let id = props.id.as_str();
    html! {
        <div class={classes!("field", "wide", props.error.is_some().then_some("has-error"))}>
            <label for={props.id.clone()}>{ props.label.clone() }</label>
            <textarea
                id={props.id.clone()}
                name={props.id.clone()}
                rows={props.rows.to_string()}
                value={props.value.clone()}
                required={props.required}
                aria-invalid={props.error.is_some().then_some("true")}
                aria-describedby={described_by(id, false, props.error.is_some())}
                {oninput}
            />
            { field_messages(id, &None, &props.error) }
        </div>
    }
}
