//! Who gets into a meeting with what, and who sees what of it: the one
//! rule for credentials, invitations and the details view.

use convene_proto::*;

use super::*;
use crate::guard::Gate;
use crate::meeting::{same_secret, Meeting};

/// The invitation of a logged-in account, if it is invited: matched by
/// `userUuid`, `accountId` or `thirdUserId` (an App ID user). The one rule
/// for "is this account invited?" (its role, its mute state, invited-only
/// meetings).
pub fn invitation<'m>(m: &'m Meeting, account: Option<&Account>) -> Option<&'m AttendeeBaseInfo> {
    let a = account?;
    m.info.attendees.iter().find(|inv| {
        inv.user_uuid.as_deref() == Some(a.user_id.as_str())
            || inv
                .account_id
                .as_deref()
                .is_some_and(|x| !x.is_empty() && x == a.account)
            || (!inv.third_user_id.is_empty() && a.third_user_id.as_deref() == Some(inv.third_user_id.as_str()))
    })
}

/// Whether a refusal of [`check_credential`] (or of a host password in
/// `requestHostRole`) is a wrong guess the password guard counts.
pub fn counts_as_failure(r: &Refusal) -> bool {
    r.code == SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED || r.code == SdkErr::CMS_CONF_PWD_AUTH_FAILED
}

/// How a logged-in account may see a meeting's details (`confDetail`):
/// the owner and accounts invited as host see everything; other invited
/// accounts what an invitation shows; anyone else nothing (the meeting
/// looks missing).
pub fn viewer(m: &Meeting, account: &Account) -> Option<crate::meeting::Viewer> {
    use crate::meeting::Viewer;
    if account.user_id == m.owner_id {
        return Some(Viewer::Host);
    }
    invitation(m, Some(account)).map(|inv| match inv.role {
        Some(ConfRole::Host) => Viewer::Host,
        _ => Viewer::Other,
    })
}

fn wrong_credentials() -> Refusal {
    refuse(
        SdkErr::CMS_CONF_NOT_FOUND_OR_AUTH_FAILED,
        "the meeting does not exist, has ended, or the password is wrong",
    )
}

/// The answer to a password check the guard's gate holds back.
pub fn password_locked() -> Refusal {
    refuse(
        SdkErr::CMS_PARTICIPANT_CONF_LOGIN_LOCKED,
        "too many wrong passwords for this meeting: try again later",
    )
}

/// The role a join's credential and account give in meeting `m`, before
/// the waiting room, or why not. The one rule of who gets in with what:
/// - the owner's login: host, no password;
/// - a join link's code: host, guest or audience; an invitation: its role
///   (host link and host password win over it); neither needs a password,
///   so neither is held back by `req.password_gate`;
/// - a password: host or guest, checked only while the gate is open
///   (else `CMS_PARTICIPANT_CONF_LOGIN_LOCKED`, whatever was typed);
/// - a meeting without a guest password lets in a guest who typed none.
///
/// Wrong or missing credentials answer `CMS_CONF_NOT_FOUND_OR_AUTH_FAILED`,
/// exactly as an unknown or ended meeting does; the caller counts that
/// answer as a failure ([`counts_as_failure`]). `None`: no meeting has
/// that ID.
pub fn check_credential(m: Option<&Meeting>, req: &JoinRequest) -> Result<ConfRole, Refusal> {
    let Some(m) = m else {
        // No meeting by that ID: the same answer as a wrong password.
        return Err(if req.password_gate == Gate::Open {
            wrong_credentials()
        } else {
            password_locked()
        });
    };
    if req.account.as_ref().is_some_and(|a| a.user_id == m.owner_id) {
        return Ok(ConfRole::Host);
    }
    let invited = invitation(m, req.account.as_ref()).map(|inv| inv.role.unwrap_or(ConfRole::Attendee));
    let typed = match &req.credential {
        Credential::Random(code) if !code.is_empty() => {
            let by_code = m.link_role(code);
            match (by_code, invited) {
                (Some(ConfRole::Host), _) => return Ok(ConfRole::Host),
                (_, Some(r)) => return Ok(r),
                (Some(r), None) => return Ok(r),
                (None, None) => true,
            }
        }
        Credential::Random(_) => false,
        Credential::Password(pw) => !pw.is_empty(),
    };
    let pw = match &req.credential {
        Credential::Password(pw) => pw.as_str(),
        Credential::Random(_) => "",
    };
    if typed && req.password_gate != Gate::Open {
        return invited.ok_or_else(password_locked);
    }
    if !pw.is_empty() && same_secret(pw, &m.host_pwd) {
        return Ok(ConfRole::Host);
    }
    if let Some(r) = invited {
        return Ok(r);
    }
    match (&req.credential, m.guest_pwd.as_deref()) {
        (Credential::Password(_), Some(g)) if !pw.is_empty() && same_secret(pw, g) => Ok(ConfRole::Attendee),
        (Credential::Password(_), None) if pw.is_empty() => Ok(ConfRole::Attendee),
        _ if req.password_gate != Gate::Open => Err(password_locked()),
        _ => Err(wrong_credentials()),
    }
}

/// The REST control token's check (`X-Password`): the host password of a
/// running or ended meeting, held back by the password guard's gate for
/// everyone but the meeting's owner (`caller`, when logged in). Unknown
/// meetings and wrong passwords answer alike; both count as failures.
pub fn check_host_password(
    m: Option<&Meeting>,
    given: &str,
    gate: Gate,
    caller: Option<&UserId>,
) -> Result<(), Refusal> {
    let owner = m.is_some_and(|m| caller == Some(&m.owner_id));
    if gate != Gate::Open && !owner {
        return Err(password_locked());
    }
    match m {
        Some(m) if !given.is_empty() && same_secret(given, &m.host_pwd) => Ok(()),
        _ => Err(wrong_credentials()),
    }
}
