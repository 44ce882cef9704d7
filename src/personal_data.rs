//! The key that seals citizens' personal data, checked against the database it sealed: a server
//! started with another key would fail every staff read and seal new data that nobody can read
//! together with the old. A check value is stored at first start; `muni rotate-data-key`
//! re-seals everything under a new key and moves the check with it.

use diesel::prelude::*;

use crate::crypto::Vault;
use crate::db::DbConn;
use crate::db::schema::{feedback, questions, settings};
use crate::error::ApiError;

const KEY_CHECK: &str = "data_key_check";

/// Refuses a key that is not the one the database's personal data was sealed with. On the first
/// start with a check (a new database, or one from before the check existed) the key must open a
/// sealed value, if there is any, and its check is then stored.
pub fn verify_data_key(conn: &mut DbConn, vault: &Vault) -> Result<(), String> {
    let stored: Option<String> = settings::table
        .find(KEY_CHECK)
        .select(settings::value)
        .first(conn)
        .optional()
        .map_err(|e| format!("cannot read the data key check: {e}"))?;
    let wrong_key = || {
        "MUNI_DATA_KEY is not the key that sealed the personal data in this database: start with the \
         key it was set up with (to change keys, run `muni rotate-data-key` with MUNI_NEW_DATA_KEY)"
            .to_owned()
    };
    match stored {
        Some(check) if check == vault.key_check() => Ok(()),
        Some(_) => Err(wrong_key()),
        None => {
            if let Some(sealed) = any_sealed_value(conn).map_err(|e| e.to_string())?
                && vault.open(&sealed).is_err()
            {
                return Err(wrong_key());
            }
            diesel::insert_into(settings::table)
                .values((settings::name.eq(KEY_CHECK), settings::value.eq(vault.key_check())))
                .execute(conn)
                .map(|_| ())
                .map_err(|e| format!("cannot store the data key check: {e}"))
        }
    }
}

fn any_sealed_value(conn: &mut DbConn) -> QueryResult<Option<String>> {
    let from_feedback: Option<Option<String>> = feedback::table
        .filter(feedback::submitter_name.is_not_null())
        .select(feedback::submitter_name)
        .first(conn)
        .optional()?;
    if let Some(sealed) = from_feedback.flatten() {
        return Ok(Some(sealed));
    }
    let from_questions: Option<Option<String>> = questions::table
        .filter(questions::asker_name.is_not_null())
        .select(questions::asker_name)
        .first(conn)
        .optional()?;
    Ok(from_questions.flatten())
}

/// How many rows a rotation re-sealed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    pub feedback: usize,
    pub questions: usize,
}

/// Re-seals every personal value (and tracking secret kept for replays) from `old` to `new`,
/// recomputes the blind indexes, and stores the new key's check: one transaction, so a failure
/// leaves everything under the old key. A value the old key cannot open stops the rotation.
pub fn rotate_data_key(conn: &mut DbConn, old: &Vault, new: &Vault) -> Result<Rotated, String> {
    verify_data_key(conn, old)?;
    crate::db::write_transaction(conn, |c| {
        let mut rotated = Rotated::default();
        let reseal = |value: Option<String>| -> Result<Option<String>, ApiError> {
            value.map(|v| old.open(&v).map(|plain| new.seal(&plain))).transpose().map_err(ApiError::Internal)
        };
        type Sealed = (i64, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Sealed> = feedback::table
            .select((
                feedback::id,
                feedback::submitter_name,
                feedback::submitter_phone,
                feedback::submitter_email,
                feedback::submitter_address,
                feedback::secret_sealed,
            ))
            .load(c)?;
        for (id, name, phone, email, address, secret) in rows {
            let plain_contact =
                email.as_ref().or(phone.as_ref()).map(|v| old.open(v)).transpose().map_err(ApiError::Internal)?;
            diesel::update(feedback::table.find(id))
                .set((
                    feedback::submitter_name.eq(reseal(name)?),
                    feedback::submitter_phone.eq(reseal(phone)?),
                    feedback::submitter_email.eq(reseal(email)?),
                    feedback::submitter_address.eq(reseal(address)?),
                    feedback::secret_sealed.eq(reseal(secret)?),
                    feedback::contact_index.eq(plain_contact.map(|c| new.blind_index(&c))),
                ))
                .execute(c)?;
            rotated.feedback += 1;
        }
        type Asked = (i64, Option<String>, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Asked> = questions::table
            .select((
                questions::id,
                questions::asker_name,
                questions::asker_phone,
                questions::asker_email,
                questions::secret_sealed,
            ))
            .load(c)?;
        for (id, name, phone, email, secret) in rows {
            let plain_contact =
                email.as_ref().or(phone.as_ref()).map(|v| old.open(v)).transpose().map_err(ApiError::Internal)?;
            diesel::update(questions::table.find(id))
                .set((
                    questions::asker_name.eq(reseal(name)?),
                    questions::asker_phone.eq(reseal(phone)?),
                    questions::asker_email.eq(reseal(email)?),
                    questions::secret_sealed.eq(reseal(secret)?),
                    questions::contact_index.eq(plain_contact.map(|c| new.blind_index(&c))),
                ))
                .execute(c)?;
            rotated.questions += 1;
        }
        diesel::update(settings::table.find(KEY_CHECK)).set(settings::value.eq(new.key_check())).execute(c)?;
        Ok::<_, ApiError>(rotated)
    })
    .map_err(|e| match e {
        ApiError::Internal(cause) => format!("cannot rotate the data key: {cause}"),
        other => format!("cannot rotate the data key: {other}"),
    })
}
