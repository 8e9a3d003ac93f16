//! The demographics form shared by registration and the chart's "Edit details": its values,
//! how they become a request, and the fields (ids such as `#given-name`, errors `#…-error`).

use hms_api_types::patients::{
    Address, CreatePatient, EmergencyContact, Patient, Sex, UpdatePatient,
};
use yew::prelude::*;

use crate::api::ApiError;
use crate::components::field::{Field, SelectField};
use crate::display;
use crate::form::{setter, Form};

/// What the person typed; `sex` is a wire name, empty until chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientValues {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD` from `<input type="date">`.
    pub birth_date: String,
    pub sex: String,
    pub phone: String,
    pub email: String,
    pub address_line: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
    pub ec_name: String,
    pub ec_relationship: String,
    pub ec_phone: String,
    pub language: String,
}

impl PatientValues {
    /// The form filled with what is on record.
    pub fn from_patient(p: &Patient) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let ec = p.emergency_contact.clone().unwrap_or_default();
        PatientValues {
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            birth_date: display::date(p.birth_date),
            sex: p.sex.as_str().to_owned(),
            phone: text(&p.phone),
            email: text(&p.email),
            address_line: text(&p.address.line),
            city: text(&p.address.city),
            postal_code: text(&p.address.postal_code),
            country: text(&p.address.country),
            ec_name: ec.name,
            ec_relationship: text(&ec.relationship),
            ec_phone: ec.phone,
            language: text(&p.preferred_language),
        }
    }

    fn birth_date_and_sex(&self) -> Result<(chrono::NaiveDate, Sex), ApiError> {
        let birth_date = display::parse_date("birth_date", &self.birth_date)?
            .ok_or_else(|| ApiError::invalid("birth_date", "Enter the date of birth."))?;
        let sex = Sex::parse(&self.sex).ok_or_else(|| ApiError::invalid("sex", "Choose one."))?;
        Ok((birth_date, sex))
    }

    fn address(&self) -> Address {
        Address {
            line: display::optional(&self.address_line),
            city: display::optional(&self.city),
            postal_code: display::optional(&self.postal_code),
            country: display::optional(&self.country),
        }
    }

    /// The emergency contact as typed (the server treats name and phone both empty as none).
    fn emergency_contact(&self) -> EmergencyContact {
        EmergencyContact {
            name: self.ec_name.trim().to_owned(),
            relationship: display::optional(&self.ec_relationship),
            phone: self.ec_phone.trim().to_owned(),
        }
    }

    /// The registration request; `confirm_not_duplicate` after the person checked the
    /// possible duplicates.
    pub fn create(&self, confirm_not_duplicate: bool) -> Result<CreatePatient, ApiError> {
        let (birth_date, sex) = self.birth_date_and_sex()?;
        let address = self.address();
        let contact = self.emergency_contact();
        let has_contact = [&self.ec_name, &self.ec_relationship, &self.ec_phone]
            .iter()
            .any(|v| !v.trim().is_empty());
        Ok(CreatePatient {
            given_name: self.given_name.trim().to_owned(),
            family_name: self.family_name.trim().to_owned(),
            birth_date,
            sex,
            phone: display::optional(&self.phone),
            email: display::optional(&self.email),
            address: (address != Address::default()).then_some(address),
            emergency_contact: has_contact.then_some(contact),
            preferred_language: display::optional(&self.language),
            confirm_not_duplicate,
        })
    }

    /// The change request: every field is sent, so emptied ones are cleared.
    pub fn update(&self) -> Result<UpdatePatient, ApiError> {
        let (birth_date, sex) = self.birth_date_and_sex()?;
        Ok(UpdatePatient {
            given_name: Some(self.given_name.trim().to_owned()),
            family_name: Some(self.family_name.trim().to_owned()),
            birth_date: Some(birth_date),
            sex: Some(sex),
            phone: Some(self.phone.trim().to_owned()),
            email: Some(self.email.trim().to_owned()),
            address: Some(self.address()),
            emergency_contact: Some(self.emergency_contact()),
            preferred_language: Some(self.language.trim().to_owned()),
            version: None,
        })
    }
}

/// `(wire name, label)` of every sex, after "Choose…".
fn sex_options() -> Vec<(AttrValue, AttrValue)> {
    std::iter::once((AttrValue::Static(""), AttrValue::Static("Choose…")))
        .chain(Sex::ALL.into_iter().map(|s| {
            (
                AttrValue::Static(s.as_str()),
                AttrValue::from(display::label(&s)),
            )
        }))
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct PatientFieldsProps {
    pub form: UseReducerHandle<Form<PatientValues>>,
}

/// The demographics fields, grouped; each error sits under its field.
#[component]
pub fn PatientFields(props: &PatientFieldsProps) -> Html {
    let form = &props.form;
    let v = &form.values;
    html! {
        <>
            <fieldset class="grid-form">
                <legend>{ "Identity" }</legend>
                <Field
                    id="given-name"
                    label="Given name"
                    autocomplete="off"
                    value={v.given_name.clone()}
                    oninput={setter(form, |v, s| v.given_name = s)}
                    error={form.field_error("given_name")}
                    required=true
                />
                <Field
                    id="family-name"
                    label="Family name"
                    autocomplete="off"
                    value={v.family_name.clone()}
                    oninput={setter(form, |v, s| v.family_name = s)}
                    error={form.field_error("family_name")}
                    required=true
                />
                <Field
                    id="birth-date"
                    label="Date of birth"
                    kind="date"
                    value={v.birth_date.clone()}
                    oninput={setter(form, |v, s| v.birth_date = s)}
                    error={form.field_error("birth_date")}
                    required=true
                />
                <SelectField
                    id="sex"
                    label="Sex"
                    value={v.sex.clone()}
                    options={sex_options()}
                    onchange={setter(form, |v, s| v.sex = s)}
                    error={form.field_error("sex")}
                />
            </fieldset>
            <fieldset class="grid-form">
                <legend>{ "Contact" }</legend>
                <Field
                    id="phone"
                    label="Phone"
                    kind="tel"
                    autocomplete="off"
                    placeholder="+44 20 7946 0958"
                    value={v.phone.clone()}
                    oninput={setter(form, |v, s| v.phone = s)}
                    error={form.field_error("phone")}
                />
                <Field
                    id="email"
                    label="Email"
                    kind="email"
                    autocomplete="off"
                    value={v.email.clone()}
                    oninput={setter(form, |v, s| v.email = s)}
                    error={form.field_error("email")}
                />
                <Field
                    id="language"
                    label="Preferred language"
                    hint="A language tag such as en, es or pt-BR."
                    value={v.language.clone()}
                    oninput={setter(form, |v, s| v.language = s)}
                    error={form.field_error("preferred_language")}
                />
            </fieldset>
            <fieldset class="grid-form">
                <legend>{ "Address" }</legend>
                <Field
                    id="address-line"
                    label="Street and number"
                    autocomplete="off"
                    value={v.address_line.clone()}
                    oninput={setter(form, |v, s| v.address_line = s)}
                    error={form.field_error("address.line")}
                />
                <Field
                    id="city"
                    label="City"
                    autocomplete="off"
                    value={v.city.clone()}
                    oninput={setter(form, |v, s| v.city = s)}
                    error={form.field_error("address.city")}
                />
                <Field
                    id="postal-code"
                    label="Postal code"
                    autocomplete="off"
                    value={v.postal_code.clone()}
                    oninput={setter(form, |v, s| v.postal_code = s)}
                    error={form.field_error("address.postal_code")}
                />
                <Field
                    id="country"
                    label="Country"
                    autocomplete="off"
                    value={v.country.clone()}
                    oninput={setter(form, |v, s| v.country = s)}
                    error={form.field_error("address.country")}
                />
            </fieldset>
            <fieldset class="grid-form">
                <legend>{ "Emergency contact" }</legend>
                <Field
                    id="ec-name"
                    label="Name"
                    autocomplete="off"
                    value={v.ec_name.clone()}
                    oninput={setter(form, |v, s| v.ec_name = s)}
                    error={form.field_error("emergency_contact.name")}
                />
                <Field
                    id="ec-relationship"
                    label="Relationship"
                    autocomplete="off"
                    value={v.ec_relationship.clone()}
                    oninput={setter(form, |v, s| v.ec_relationship = s)}
                    error={form.field_error("emergency_contact.relationship")}
                />
                <Field
                    id="ec-phone"
                    label="Phone"
                    kind="tel"
                    autocomplete="off"
                    value={v.ec_phone.clone()}
                    oninput={setter(form, |v, s| v.ec_phone = s)}
                    error={form.field_error("emergency_contact.phone")}
                />
            </fieldset>
        </>
    }
}
