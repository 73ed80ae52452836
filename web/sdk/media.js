// The media half of the SDK: one RTCPeerConnection to the server's SFU,
// negotiated over the meeting's WebSocket. We offer our own tracks once;
// after that the server offers (others' tracks added or stopped) and we answer.

import { SDKERR } from './types.js';

/**
 * `signal`: send(msg) -> bool, whether it went out on the meeting's socket.
 * `hooks`: remoteTrack({participantId, track, stream}), stateChanged({state}),
 * closed({reason}) when the server closed our media.
 */
export class MediaConnection {
  constructor(signal, hooks) {
    this.signal = signal;
    this.hooks = hooks;
    this.pc = null;
    this.localStream = null;
    this.micEnabled = true;
    this.cameraEnabled = true;
    this._startCb = null;
    this._queue = Promise.resolve();
    this._trackOwner = new Map();
  }

  /**
   * start({audio, video, audioDeviceId?, videoDeviceId?}, iceServers, cb): capture (from the
   * chosen devices, if any), offer, and call cb once answered.
   */
  async start({ audio = true, video = true, audioDeviceId, videoDeviceId }, iceServers, cb) {
    this.stop();
    let stream;
    try {
      const a = audio && audioDeviceId ? { deviceId: { exact: audioDeviceId } } : audio;
      const v = video ? { width: 640, height: 360, ...(videoDeviceId ? { deviceId: { exact: videoDeviceId } } : {}) } : false;
      stream = await navigator.mediaDevices.getUserMedia({ audio: a, video: v });
    } catch (e) {
      cb(SDKERR.SDK_COMMON_FAIL, `no camera or microphone: ${e.message}`);
      return;
    }
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    this.pc = pc;
    this.localStream = stream;
    this._trackOwner = new Map();
    for (const t of stream.getTracks()) {
      if (t.kind === 'audio') t.enabled = this.micEnabled;
      if (t.kind === 'video') t.enabled = this.cameraEnabled;
      // Video goes out in two simulcast layers; the server forwards each
      // subscriber the one its downlink carries.
      const sendEncodings = t.kind === 'video'
        ? [{ rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 200000 }, { rid: 'h', maxBitrate: 1200000 }]
        : undefined;
      pc.addTransceiver(t, { direction: 'sendonly', streams: [stream], sendEncodings });
    }
    // A video meeting's connection also carries a screen, on a second
    // video track that sends nothing until shareScreen puts a screen on it.
    this.screenSender = video ? pc.addTransceiver('video', { direction: 'sendonly' }).sender : null;
    this.screenTrack = null;
    pc.ontrack = (ev) => {
      const remote = ev.streams[0];
      // Stream IDs: p<participant> camera and microphone, s<participant> screen.
      const id = String(remote?.id || '');
      const screen = id.startsWith('s');
      const participantId = Number(id.slice(1));
      this._trackOwner.set(ev.track.id, screen ? `s${participantId}` : participantId);
      this.hooks.remoteTrack({ participantId, track: ev.track, stream: remote, screen });
    };
    pc.onconnectionstatechange = () => this.hooks.stateChanged({ state: pc.connectionState });
    await pc.setLocalDescription(await pc.createOffer());
    // The server learns our candidates from the offer: wait for them.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, 2000);
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); } });
      return undefined;
    });
    if (this.pc !== pc || !this.signal.send({ type: 'mediaOffer', sdp: pc.localDescription.sdp })) {
      if (this.pc === pc) this.stop();
      cb(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
      return;
    }
    this._startCb = cb;
  }

  /** A media signalling message from the server, handled in order of arrival. */
  onSignal(msg) {
    this._queue = this._queue.then(() => this._handle(msg)).catch((e) => this._failed(String(e)));
  }

  async _handle(msg) {
    const pc = this.pc;
    if (msg.type === 'mediaError') {
      const cb = this._takeStartCb();
      this.stop();
      if (cb) cb(msg.ret, msg.reason || '');
      return;
    }
    if (msg.type === 'mediaClosed') {
      this.stop();
      this.hooks.closed({ reason: msg.reason });
      return;
    }
    if (!pc) return;
    if (msg.type === 'mediaAnswer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      const cb = this._takeStartCb();
      if (cb) cb(0, '');
    } else if (msg.type === 'mediaOffer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      if (this.pc === pc) this.signal.send({ type: 'mediaAnswer', sdp: pc.localDescription.sdp });
    }
  }

  _takeStartCb() {
    const cb = this._startCb;
    this._startCb = null;
    return cb;
  }

  _failed(reason) {
    const cb = this._takeStartCb();
    this.stop();
    if (cb) cb(SDKERR.SDK_COMMON_FAIL, reason);
  }

  /**
   * Puts a screen (a track from getDisplayMedia) on the connection's screen
   * track, or takes it off (null). Answers false without a screen track (an
   * audio meeting, or no media connection).
   */
  async setScreen(track) {
    if (!this.pc || !this.screenSender) return false;
    if (this.screenTrack && this.screenTrack !== track) this.screenTrack.stop();
    this.screenTrack = track;
    await this.screenSender.replaceTrack(track);
    return true;
  }

  /** Closes the connection and releases camera and microphone; tells the server if we can. */
  stop() {
    if (this.screenTrack) { this.screenTrack.stop(); this.screenTrack = null; }
    if (this.pc) {
      try { this.pc.close(); } catch (_) { /* already closed */ }
      this.pc = null;
      this.signal.send({ type: 'mediaClose' });
    }
    if (this.localStream) { for (const t of this.localStream.getTracks()) t.stop(); this.localStream = null; }
  }

  setMicEnabled(on) {
    this.micEnabled = on;
    for (const t of this.localStream?.getAudioTracks() || []) t.enabled = on;
  }

  setCameraEnabled(on) {
    this.cameraEnabled = on;
    for (const t of this.localStream?.getVideoTracks() || []) t.enabled = on;
  }

  /** {participantId: {audioPacketsReceived, videoFramesDecoded, frameWidth, frameHeight, packetsReceived, packetsLost}} from inbound RTP. */
  async receiveStats() {
    const out = {};
    if (!this.pc) return out;
    (await this.pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const pid = this._trackOwner.get(r.trackIdentifier);
      if (pid === undefined) return;
      const s = out[pid] || (out[pid] = { audioPacketsReceived: 0, videoFramesDecoded: 0, frameWidth: 0, frameHeight: 0, packetsReceived: 0, packetsLost: 0 });
      s.packetsReceived += r.packetsReceived || 0;
      s.packetsLost += Math.max(0, r.packetsLost || 0);
      if (r.kind === 'audio') s.audioPacketsReceived += r.packetsReceived || 0;
      if (r.kind === 'video') {
        s.videoFramesDecoded += r.framesDecoded || 0;
        s.frameWidth = Math.max(s.frameWidth, r.frameWidth || 0);
        s.frameHeight = Math.max(s.frameHeight, r.frameHeight || 0);
      }
    });
    return out;
  }

  /** [{kind, rid, frameWidth, bytesSent}]: what this page sends, per simulcast layer. */
  async sendStats() {
    if (!this.pc) return [];
    const out = [];
    (await this.pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp') out.push({ kind: r.kind, rid: r.rid || null, frameWidth: r.frameWidth || 0, bytesSent: r.bytesSent || 0 });
    });
    return out;
  }
}
