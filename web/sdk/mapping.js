// CreateConfInfo -> the REST create body, and the REST ConferenceInfo -> the
// seed's CreateConfResult. The Rust twin is crates/convene-proto/src/create_map.rs;
// the fixtures in crates/convene-proto/tests/fixtures/create_map.json hold both
// to the same answer (crates/convene-proto/tests/create_map.rs and web/tests/create_map.mjs).

import { AutoMuteType, MediaType, VmrConfIdType, ConfAllowJoinUserType } from './types.js';

/** Seed table 8 by number -> the REST attendee `type`. */
const REST_TYPES = ['normal', 'telepresence', 'terminal', 'outside', 'customnumber', 'mobile', 'anonymous',
  'telephone', 'board', 'ideahub', 'hwvision', 'welinkc'];

const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
const flag = (b) => (b === undefined || b === null ? undefined : b ? 1 : 0);
const muteFlag = (m) => (m === AutoMuteType.AUTO_MUTE_TYPE_MUTE ? true : m === AutoMuteType.AUTO_MUTE_TYPE_UNMUTE ? false : undefined);
const nonEmpty = (s) => (s ? s : undefined);

/** The REST create body for a CreateConfInfo (spec §3.1; SDK-only fields as extras). */
export function toRestSchedule(c) {
  const vmrId = nonEmpty(c.vmrId);
  const fixed = c.vmrConfIdType === VmrConfIdType.HWM_VMR_CONF_ID_TYPE_FIXED;
  const join = c.confAllowJoinUser;
  return defined({
    length: c.duration,
    subject: c.subject,
    mediaTypes: c.mediaType === MediaType.HWM_MEDIA_TYPE_AUDIO ? 'Voice' : 'HDVideo',
    attendees: (c.attendees || []).map((a) => defined({
      userUUID: a.userUuid, accountId: a.accountId, name: a.nickName ?? '', role: a.role, phone: nonEmpty(a.number),
      email: a.email, sms: a.sms, isMute: flag(a.isMute), isAutoInvite: flag(a.isAutoInvite),
      type: a.type === undefined || a.type === null ? undefined : REST_TYPES[a.type], thirdUserId: nonEmpty(a.thirdUserId),
    })),
    isAutoRecord: flag(c.isAutoRecord),
    recordType: c.allowRecord === undefined || c.allowRecord === null ? undefined : c.allowRecord ? 2 : 0,
    confConfigInfo: defined({
      isAutoMute: muteFlag(c.autoMuteMode),
      isHardTerminalAutoMute: muteFlag(c.hardTerminalAutoMuteMode),
      isGuestFreePwd: !c.needPassword,
      // callInRestriction cannot say "logged-in users"; confAllowJoinUser (an extra) always does.
      callInRestriction: join === undefined || join === null || join === ConfAllowJoinUserType.CONF_ALLOW_JOIN_LOGINED_USER ? undefined : join,
      guestPwd: c.guestPwd,
      vmrIDType: c.vmrConfIdType,
      enableWaitingRoom: c.isOpenWaitingRoom,
      isHostCameraOn: c.isCameraOn,
    }),
    vmrFlag: fixed || vmrId ? 1 : 0,
    vmrID: vmrId,
    concurrentParticipants: c.concurrentParticipants,
    confResType: c.confResType,
    customInfo: c.customInfo,
    defaultSummaryState: c.defaultSummaryState,
    isMicOn: c.isMicOn,
    confAllowJoinUser: join,
    numOfAttendee: c.numOfAttendee,
  });
}

const pad = (n) => String(n).padStart(2, '0');

/** Unix seconds as the REST API's "yyyy-MM-dd HH:mm" (UTC). */
export function restTime(secs) {
  const d = new Date(secs * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** The REST create body for bookConf's {startTime (UTC s), duration, timeZoneId?, confCommonParam}. */
export function toRestBooking(p) {
  return defined({
    ...toRestSchedule(p.confCommonParam),
    startTime: restTime(p.startTime),
    length: p.duration,
    timeZoneID: p.timeZoneId,
  });
}

/**
 * bookCycleConf's param (bookConf's plus cycleParam: {startDate, endDate
 * ("YYYY-MM-DD" in the meeting's zone), cycle: 'Day' | 'Week' | 'Month',
 * interval?, point? (weekdays 0 = Sunday, or days of the month),
 * preRemindDays?}) as the recurring create body.
 */
export function toRestCycleBooking(p) {
  const c = p.cycleParam || {};
  return defined({
    ...toRestBooking(p),
    cycleParams: defined({
      startDate: c.startDate, endDate: c.endDate, cycle: c.cycle, interval: c.interval, point: c.point, preRemindDays: c.preRemindDays,
    }),
  });
}

/** The seed's CreateConfResult from the REST ConferenceInfo. */
export function toCreateConfResult(ci) {
  const pw = (role) => ((ci.passwordEntry || []).find((p) => p.conferenceRole === role) || {}).password || '';
  return {
    confId: ci.conferenceID, vmrConfId: ci.vmrConferenceID || '', hostPwd: pw('chair'), guestPwd: pw('general'),
    mediaType: ci.mediaType, guestJoinUri: ci.guestJoinUri, selfConfRole: ci.selfConfRole, subject: ci.subject,
    startTime: ci.startTimeStamp, endTime: ci.endTimeStamp, startTimeStamp: ci.startTimeStamp,
    endTimeStamp: ci.endTimeStamp, schedulerName: ci.scheduserName, customInfo: ci.customInfo || '',
  };
}
