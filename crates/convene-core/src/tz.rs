//! The product's time-zone codes (`timeZoneID`, its "时区表", values 1-73)
//! and the IANA zone each means, so that booked times, e-mails and
//! calendar entries are in the meeting's zone with daylight saving applied
//! (chrono-tz), never a fixed offset.
//!
//! Codes 1-37, 56 and 64-68 are as the product's table prints them; the
//! rest follow the same (Windows-style) list in its order. Where a label
//! names several places, the zone of the first that still keeps that
//! offset is used (e.g. 27 "Amsterdam, Berlin, ..." -> Europe/Berlin).
//! "56" is GMT+08 (Beijing), "26" GMT (London); there is no plain UTC code.

use chrono_tz::Tz;

/// `(code, IANA zone, the product's label)`, in the table's order.
pub const TABLE: &[(u8, Tz, &str)] = &[
    (1, Tz::Etc__GMTPlus12, "(GMT-12:00) Eniwetok, Kwajalein"),
    (2, Tz::Pacific__Pago_Pago, "(GMT-11:00) Midway Island, Samoa"),
    (3, Tz::Pacific__Honolulu, "(GMT-10:00) Hawaii"),
    (4, Tz::America__Anchorage, "(GMT-09:00) Alaska"),
    (
        5,
        Tz::America__Los_Angeles,
        "(GMT-08:00) Pacific Time (US & Canada), Tijuana",
    ),
    (6, Tz::America__Phoenix, "(GMT-07:00) Arizona"),
    (7, Tz::America__Denver, "(GMT-07:00) Mountain Time (US & Canada)"),
    (8, Tz::America__Guatemala, "(GMT-06:00) Central America"),
    (9, Tz::America__Chicago, "(GMT-06:00) Central Time (US & Canada)"),
    (10, Tz::America__Mexico_City, "(GMT-06:00) Mexico City"),
    (11, Tz::America__Regina, "(GMT-06:00) Saskatchewan"),
    (12, Tz::America__Bogota, "(GMT-05:00) Bogota, Lima, Quito"),
    (13, Tz::America__New_York, "(GMT-05:00) Eastern Time (US & Canada)"),
    (14, Tz::America__Indiana__Indianapolis, "(GMT-05:00) Indiana (East)"),
    (15, Tz::America__Halifax, "(GMT-04:00) Atlantic Time (Canada)"),
    (16, Tz::America__Caracas, "(GMT-04:00) Caracas, La Paz"),
    (17, Tz::America__Santiago, "(GMT-04:00) Santiago"),
    (18, Tz::America__St_Johns, "(GMT-03:30) Newfoundland"),
    (19, Tz::America__Sao_Paulo, "(GMT-03:00) Brasilia"),
    (
        20,
        Tz::America__Argentina__Buenos_Aires,
        "(GMT-03:00) Buenos Aires, Georgetown",
    ),
    (21, Tz::America__Nuuk, "(GMT-03:00) Greenland"),
    (22, Tz::Atlantic__South_Georgia, "(GMT-02:00) Mid-Atlantic"),
    (23, Tz::Atlantic__Azores, "(GMT-01:00) Azores"),
    (24, Tz::Atlantic__Cape_Verde, "(GMT-01:00) Cape Verde Is."),
    (25, Tz::Africa__Casablanca, "(GMT) Casablanca, Monrovia"),
    (
        26,
        Tz::Europe__London,
        "(GMT) Greenwich Mean Time: Dublin, Edinburgh, Lisbon, London",
    ),
    (
        27,
        Tz::Europe__Berlin,
        "(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    ),
    (
        28,
        Tz::Europe__Prague,
        "(GMT+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague",
    ),
    (29, Tz::Europe__Paris, "(GMT+01:00) Brussels, Copenhagen, Madrid, Paris"),
    (
        30,
        Tz::Europe__Warsaw,
        "(GMT+01:00) Sarajevo, Skopje, Sofija, Warsaw, Zagreb",
    ),
    (31, Tz::Africa__Lagos, "(GMT+01:00) West Central Africa"),
    (32, Tz::Europe__Athens, "(GMT+02:00) Athens, Istanbul, Vilnius"),
    (33, Tz::Europe__Bucharest, "(GMT+02:00) Bucharest"),
    (34, Tz::Africa__Cairo, "(GMT+02:00) Cairo"),
    (35, Tz::Africa__Johannesburg, "(GMT+02:00) Harare, Pretoria"),
    (36, Tz::Europe__Helsinki, "(GMT+02:00) Helsinki, Riga, Tallinn"),
    (37, Tz::Asia__Jerusalem, "(GMT+02:00) Jerusalem"),
    (38, Tz::Asia__Baghdad, "(GMT+03:00) Baghdad"),
    (39, Tz::Asia__Riyadh, "(GMT+03:00) Kuwait, Riyadh"),
    (40, Tz::Europe__Moscow, "(GMT+03:00) Moscow, St. Petersburg, Volgograd"),
    (41, Tz::Africa__Nairobi, "(GMT+03:00) Nairobi"),
    (42, Tz::Asia__Tehran, "(GMT+03:30) Tehran"),
    (43, Tz::Asia__Dubai, "(GMT+04:00) Abu Dhabi, Muscat"),
    (44, Tz::Asia__Baku, "(GMT+04:00) Baku, Tbilisi, Yerevan"),
    (45, Tz::Asia__Kabul, "(GMT+04:30) Kabul"),
    (46, Tz::Asia__Yekaterinburg, "(GMT+05:00) Ekaterinburg"),
    (47, Tz::Asia__Karachi, "(GMT+05:00) Islamabad, Karachi, Tashkent"),
    (
        48,
        Tz::Asia__Kolkata,
        "(GMT+05:30) Calcutta, Chennai, Mumbai, New Delhi",
    ),
    (49, Tz::Asia__Kathmandu, "(GMT+05:45) Kathmandu"),
    (50, Tz::Asia__Almaty, "(GMT+06:00) Almaty, Novosibirsk"),
    (51, Tz::Asia__Dhaka, "(GMT+06:00) Astana, Dhaka"),
    (52, Tz::Asia__Colombo, "(GMT+06:00) Sri Jayawardenepura"),
    (53, Tz::Asia__Yangon, "(GMT+06:30) Rangoon"),
    (54, Tz::Asia__Bangkok, "(GMT+07:00) Bangkok, Hanoi, Jakarta"),
    (55, Tz::Asia__Krasnoyarsk, "(GMT+07:00) Krasnoyarsk"),
    (
        56,
        Tz::Asia__Shanghai,
        "(GMT+08:00) Beijing, Chongqing, Hong Kong, Urumqi",
    ),
    (57, Tz::Asia__Irkutsk, "(GMT+08:00) Irkutsk, Ulaan Bataar"),
    (58, Tz::Asia__Singapore, "(GMT+08:00) Kuala Lumpur, Singapore"),
    (59, Tz::Australia__Perth, "(GMT+08:00) Perth"),
    (60, Tz::Asia__Taipei, "(GMT+08:00) Taipei"),
    (61, Tz::Asia__Tokyo, "(GMT+09:00) Osaka, Sapporo, Tokyo"),
    (62, Tz::Asia__Seoul, "(GMT+09:00) Seoul"),
    (63, Tz::Australia__Adelaide, "(GMT+09:30) Adelaide"),
    (64, Tz::Australia__Darwin, "(GMT+09:30) Darwin"),
    (65, Tz::Australia__Brisbane, "(GMT+10:00) Brisbane"),
    (66, Tz::Australia__Sydney, "(GMT+10:00) Canberra, Melbourne, Sydney"),
    (67, Tz::Pacific__Guam, "(GMT+10:00) Guam, Port Moresby"),
    (68, Tz::Australia__Hobart, "(GMT+10:00) Hobart"),
    (69, Tz::Asia__Vladivostok, "(GMT+10:00) Vladivostok"),
    (70, Tz::Asia__Magadan, "(GMT+11:00) Magadan, Solomon Is., New Caledonia"),
    (71, Tz::Pacific__Auckland, "(GMT+12:00) Auckland, Wellington"),
    (72, Tz::Pacific__Fiji, "(GMT+12:00) Fiji, Kamchatka, Marshall Is."),
    (73, Tz::Pacific__Tongatapu, "(GMT+13:00) Nuku'alofa"),
];

/// A meeting's time zone: the product's code and its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone {
    pub code: u8,
    pub zone: Tz,
    pub label: &'static str,
}

impl TimeZone {
    /// The zone of a `timeZoneID` ("1" to "73"), if the table has it.
    pub fn from_code(code: &str) -> Option<TimeZone> {
        let n: u8 = code.trim().parse().ok()?;
        TABLE
            .iter()
            .find(|(c, _, _)| *c == n)
            .map(|&(code, zone, label)| TimeZone { code, zone, label })
    }

    /// The code as the REST API spells it.
    pub fn id(self) -> String {
        self.code.to_string()
    }

    /// Unix seconds as a local date and time in this zone.
    pub fn local(self, secs: i64) -> chrono::DateTime<Tz> {
        use chrono::TimeZone as _;
        self.zone
            .timestamp_opt(secs, 0)
            .single()
            .unwrap_or_else(|| self.zone.from_utc_datetime(&chrono::DateTime::UNIX_EPOCH.naive_utc()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Offset, TimeZone as _};

    #[test]
    fn the_table_is_whole_and_in_order() {
        assert_eq!(TABLE.len(), 73);
        for (i, (code, _, _)) in TABLE.iter().enumerate() {
            assert_eq!(usize::from(*code), i + 1);
        }
    }

    #[test]
    fn known_codes_mean_their_places() {
        assert_eq!(TimeZone::from_code("56").unwrap().zone, Tz::Asia__Shanghai);
        assert_eq!(TimeZone::from_code("26").unwrap().zone, Tz::Europe__London);
        assert_eq!(TimeZone::from_code(" 25 ").unwrap().code, 25);
        for bad in ["0", "74", "", "x", "-1", "5.0"] {
            assert!(TimeZone::from_code(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn every_label_matches_its_zones_standard_offset() {
        // The label's "GMT+hh:mm" is the zone's offset in January or July
        // (winter or summer, whichever is standard there), except where the
        // place changed its offset since the table was written.
        let changed = [16, 21, 25, 32, 40, 44, 50, 52, 53, 55, 57, 69, 70, 72];
        for (code, zone, label) in TABLE {
            if changed.contains(code) {
                continue;
            }
            let want = label_offset(label);
            let offsets: Vec<i32> = [(1, 15), (7, 15)]
                .iter()
                .map(|(m, d)| {
                    let t = chrono::NaiveDate::from_ymd_opt(2026, *m, *d)
                        .unwrap()
                        .and_hms_opt(12, 0, 0)
                        .unwrap();
                    zone.from_utc_datetime(&t).offset().fix().local_minus_utc()
                })
                .collect();
            assert!(offsets.contains(&want), "{code} {label}: {offsets:?}");
        }
    }

    fn label_offset(label: &str) -> i32 {
        let inner = &label[1..label.find(')').unwrap()];
        let Some(rest) = inner.strip_prefix("GMT") else {
            return 0;
        };
        if rest.is_empty() {
            return 0;
        }
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        let (h, m) = rest[1..].split_once(':').unwrap();
        sign * (h.parse::<i32>().unwrap() * 3600 + m.parse::<i32>().unwrap() * 60)
    }

    #[test]
    fn daylight_saving_is_applied() {
        let london = TimeZone::from_code("26").unwrap();
        // 2026-07-01 12:00 UTC is 13:00 in London (BST), 2026-01-15 12:00 UTC is 12:00.
        let summer = chrono::NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let winter = chrono::NaiveDate::from_ymd_opt(2026, 1, 15)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(london.local(summer).format("%H:%M").to_string(), "13:00");
        assert_eq!(london.local(winter).format("%H:%M").to_string(), "12:00");
    }
}
