// The seed's enums (its numbers) and the SDKERR numbers the SDK itself
// answers with, plus the shapes of the seed's call (JSDoc).

/** Seed table 3. */
export const MediaType = Object.freeze({ HWM_MEDIA_TYPE_AUDIO: 0, HWM_MEDIA_TYPE_VIDEO: 1 });
/** Seed table 4. */
export const ConfAllowJoinUserType = Object.freeze({
  CONF_ALLOW_JOIN_ANYONE: 0, CONF_ALLOW_JOIN_LOGINED_USER: 1, CONF_ALLOW_JOIN_IN_COMPANY_USER: 2, CONF_ALLOW_JOIN_INVITED_USER: 3,
});
/** Seed table 5. */
export const VmrConfIdType = Object.freeze({ HWM_VMR_CONF_ID_TYPE_FIXED: 0, HWM_VMR_CONF_ID_TYPE_RANDOM: 1 });
/** Seed table 7. */
export const ConfRole = Object.freeze({
  HWM_CONF_ROLE_ATTENDEE: 0, HWM_CONF_ROLE_HOST: 1, HWM_CONF_ROLE_AUDIENCE: 2, HWM_CONF_ROLE_COHOST: 3, HWM_CONF_ROLE_WAITING: 4,
});
/** Seed table 8. */
export const AttendeeType = Object.freeze({
  ATTENDEE_TYPE_NORMAL: 0, ATTENDEE_TYPE_TELEPRESENCE: 1, ATTENDEE_TYPE_TERMINAL: 2, ATTENDEE_TYPE_OUTSIDE: 3,
  ATTENDEE_TYPE_CUSTOMNUMBER: 4, ATTENDEE_TYPE_MOBILE: 5, ATTENDEE_TYPE_ANONYMOUS: 6, ATTENDEE_TYPE_TELEPHONE: 7,
  ATTENDEE_TYPE_BOARD: 8, ATTENDEE_TYPE_IDEAHUB: 9, ATTENDEE_TYPE_HWVISION: 10, ATTENDEE_TYPE_WELINKC: 11,
});
/** Seed table 9. */
export const ConfResType = Object.freeze({ HWM_CONF_RESTYPE_DEFAULT: 0, HWM_CONF_RESTYPE_SHARE_VMR: 3 });
/** Seed table 10. */
export const SummaryState = Object.freeze({ SUMMARY_STATE_CLOSE: 0, SUMMARY_STATE_OPEN: 1 });
/** Seed table 11. */
export const AutoMuteType = Object.freeze({ AUTO_MUTE_TYPE_DEFAULT: 0, AUTO_MUTE_TYPE_MUTE: 1, AUTO_MUTE_TYPE_UNMUTE: 2 });

/** SDKERR numbers this module itself answers with, and the end reasons a page tells apart (the server sends the rest). */
export const SDKERR = Object.freeze({
  SDKERR_SUCCESS: 0, SDKERR_UNKOWN: -1, UISDK_UNLOGIN_ERROR: 430200001, UISDK_PASSWORD_OR_ACCOUNT_EMPTY: 430200005,
  UISDK_HTTP_SERVER_ERROR: 430500001, UISDK_NO_NETWORK_ERROR: 430500003, UISDK_NOT_IN_CONF_OR_CALL: 430400008,
  UISDK_ALREADY_EXIST_CONF_OR_CALL: 430400009, SDK_COMMON_FAIL: 411000001, CMS_CONF_MEDIA_TYPES_ILLEGAL: 111071018,
  SDK_CONFCTRL_CONF_END_CHAIR_HANGUP: 414100043, SDK_CONFCTRL_CONF_END_STOP_CONF: 414100044,
  SDK_CONFCTRL_CONF_END_LEAVE_CONF: 414100045,
});

/**
 * @typedef {Object} AttendeeBaseInfo seed table 6
 * @property {string} nickName
 * @property {string} [number]
 * @property {string} [thirdUserId]
 * @property {string} [accountId]
 * @property {string} [email]
 * @property {string} [sms]
 * @property {boolean} [isAutoInvite]
 * @property {boolean} [isMute]
 * @property {number} [role]
 * @property {number} [type]
 * @property {string} [userUuid]
 */
/**
 * @typedef {Object} CreateConfInfo seed table 2
 * @property {string} subject
 * @property {number} mediaType
 * @property {boolean} needPassword
 * @property {boolean} [isAutoRecord]
 * @property {boolean} [allowRecord]
 * @property {number} [confAllowJoinUser]
 * @property {string} [vmrId]
 * @property {number} [vmrConfIdType]
 * @property {string} [guestPwd]
 * @property {boolean} [isOpenWaitingRoom]
 * @property {number} [duration]
 * @property {boolean} [isMicOn]
 * @property {boolean} [isCameraOn]
 * @property {number} [concurrentParticipants]
 * @property {number} numOfAttendee
 * @property {AttendeeBaseInfo[]} attendees
 * @property {string} [customInfo]
 * @property {number} [confResType]
 * @property {number} [defaultSummaryState]
 * @property {number} [autoMuteMode]
 * @property {number} [hardTerminalAutoMuteMode]
 */
/**
 * @typedef {Object} CreateConfResult seed table 13
 * @property {string} confId
 * @property {string} vmrConfId
 * @property {string} hostPwd
 * @property {string} guestPwd
 * @property {number} mediaType
 * @property {string} guestJoinUri
 * @property {number} selfConfRole
 * @property {string} subject
 * @property {number} startTime
 * @property {number} endTime
 * @property {number} startTimeStamp
 * @property {number} endTimeStamp
 * @property {string} schedulerName
 * @property {string} customInfo
 */
/** @typedef {(ret: number, reason: string, result?: any) => void} Callback */
