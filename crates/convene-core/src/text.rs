//! The one rule for human-readable text that others will see: meeting
//! subjects, nicknames (invited and joining), `customInfo`.
//!
//! Such text is shown in other people's clients, lists and e-mails, so it
//! may not carry what makes a display lie or break: control characters
//! (NUL and the like; `customInfo` may have line breaks and tabs),
//! bidirectional embeddings, overrides and isolates (U+202A-U+202E,
//! U+2066-U+2069, and the marks U+200E, U+200F, U+061C: "U+202E" makes
//! "gpj.exe" read "exe.jpg"), and text made only of invisible characters
//! (spaces, zero-width characters), which shows as nothing.

/// Why a text was refused (a sentence naming `field`).
pub fn check_text(field: &str, value: &str, multiline: bool) -> Result<(), String> {
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(format!("{field} contains a control character (U+{:04X})", u32::from(c)));
    }
    if let Some(c) = value.chars().find(|c| is_bidi_control(*c)) {
        return Err(format!(
            "{field} contains a text-direction control character (U+{:04X})",
            u32::from(c)
        ));
    }
    if !value.is_empty() && value.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(format!("{field} has no visible characters"));
    }
    Ok(())
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that take no room on screen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_refused() {
        for ok in [
            "Weekly sync",
            "Réunion d'équipe",
            "会议",
            "اجتماع",
            "a\u{200D}b",
            "👩‍💻 dev",
        ] {
            assert_eq!(check_text("subject", ok, false), Ok(()), "{ok:?}");
        }
        for bad in [
            "a\0b",
            "a\u{202E}gpj.exe",
            "\u{2066}x",
            "\u{200B}\u{200B}",
            " \u{FEFF} ",
            "a\nb",
            "\u{3164}",
        ] {
            assert!(check_text("subject", bad, false).is_err(), "{bad:?}");
        }
        assert_eq!(check_text("customInfo", "line 1\nline 2\ttab", true), Ok(()));
        assert!(check_text("customInfo", "x\0", true).is_err());
        assert_eq!(check_text("customInfo", "", true), Ok(()));
    }
}
