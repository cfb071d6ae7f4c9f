"""The spoken ballot's audio clips, made on the server with espeak-ng where a kiosk's browser has
no Chinese voice of its own.

A clip is one fixed kiosk phrase (语音已开启, 赞成, 已选择, the key help…), a number, one
character of a tracking code, or the title of a project of the kiosk's open round: only texts
that are public and known in advance. A delegate's choices are never sent here: the kiosk asks
for every clip of its ballot before the delegate marks anything and assembles what it says from
them (已选择 + 赞成), so neither the requests nor their order depend on the choices. Any other
text is refused, so the endpoint cannot be used to synthesise arbitrary speech; each kiosk may
ask for a bounded number of clips a minute, texts and audio are bounded in size, at most two
synthesisers run at once, and every clip made is kept in memory (bounded), so a queue of
delegates costs one synthesis per clip.

espeak-ng is optional at run time: without it ``available()`` is False, the kiosk uses only its
browser's own speech synthesis and the staff pages say so.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import OrderedDict, deque

from ballot.domain.errors import N_, BallotError
from ballot.i18n import gettext
from ballot.models import Round, VoteSession
from ballot.services import rounds, voting

ESPEAK = "espeak-ng"
# Debian's cmn voice reads what its dictionary turns into pinyin as English ("zan four"); the
# latin-as-pinyin variant says the same pinyin in Mandarin. Single Latin letters (a tracking
# code's A–F) are clearer from the plain cmn voice, which names them as English letters.
VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
LETTER_VOICES = {"zh": "cmn", "en": "en"}
SPEED = 160  # words a minute (espeak-ng's default is 175)
MAX_TEXT = 400  # characters: a project title is at most 200
MAX_AUDIO = 8 * 1024 * 1024  # bytes of one clip
CACHE_BYTES = 96 * 1024 * 1024
PER_MINUTE = 600  # clips one kiosk may ask for a minute (a 40-project ballot needs about 200)
TIMEOUT = 15  # seconds one synthesis may take
CHARACTERS = "0123456789ABCDEF"  # a tracking code's
MAX_NUMBER = 999

# The fixed phrases, by the id the kiosk script asks for. %(count)s and %(quota)s are the open
# round's number of projects and 应选 (public); nothing here depends on a delegate's choices.
PHRASES = {
    "on": N_("语音已开启。"),
    "off": N_("语音已关闭。"),
    "idle": N_("请刷代表证领取选票：将代表证上的二维码对准扫码器。"),
    "ballot": N_("请对每个项目选择赞成、反对或弃权。共 %(count)s 个项目，应选 %(quota)s 个。"),
    "keys": N_("按上下方向键逐个听项目；按 1 赞成，按 2 反对，按 3 弃权；按回车键进入下一步；按 0 重听；按星号键关闭语音。"),
    "item": N_("第 %(n)s 项"),
    "current": N_("当前选择："),
    "for": N_("赞成"),
    "against": N_("反对"),
    "abstain": N_("弃权"),
    "none": N_("未表态"),
    "chosen": N_("已选择："),
    "for_count": N_("已赞成"),
    "of_quota": N_("个，应选 %(quota)s 个。"),
    "too_many": N_("应选 %(quota)s 个项目，您已选满 %(quota)s 个赞成。如要赞成这个项目，请先把另一个项目的赞成改为反对或弃权。"),
    "first": N_("已是第一项。"),
    "last": N_("已是最后一项。"),
    "review": N_("请核对您的选票。"),
    "unmarked_before": N_("还有"),
    "unmarked_after": N_("个项目未表态，未表态的项目计为弃权。"),
    "review_keys": N_("确认无误请按回车键投票；要修改请按减号键或退格键返回；按 0 重听。"),
    "sending": N_("正在提交选票，请稍候。"),
    "receipt": N_("投票成功，您的选票已记录。"),
    "code": N_("您的查询码是："),
    "receipt_keys": N_("查询码只在屏幕上显示，不打印。按 0 重听，按回车键完成。"),
    "unknown": N_("无法确认选票是否已记录。请按回车键重新提交：提交的是同一张选票，无论之前是否已记录，都只会计一票。"),
    "error": N_("选票未投出。请示意工作人员，按回车键返回。"),
    "scan_failed": N_("未能领取选票，请示意工作人员。"),
    "returned": N_("选票已收回，本次未投票。"),
    "walkaway": N_("您还在投票吗？请按回车键继续投票，否则选票将被收回。"),
}
ROUND_PHRASES = {"ballot", "of_quota", "too_many"}  # need the open round's figures
# A 满意度测评 ballot says its own words for the same clips (满意 is the 赞成 mark, 不满意 the 反对
# mark, 基本满意 neither: domain/rating.py); keys 1 满意, 2 基本满意, 3 不满意.
RATING_PHRASES = {
    "ballot": N_("请对每个项目选择满意、基本满意或不满意。共 %(count)s 个项目。"),
    "keys": N_("按上下方向键逐个听项目；按 1 满意，按 2 基本满意，按 3 不满意；按回车键进入下一步；按 0 重听；按星号键关闭语音。"),
    "for": N_("满意"),
    "against": N_("不满意"),
    "abstain": N_("基本满意"),
    "none": N_("未测评"),
    "for_count": N_("已评满意"),
    "of_quota": N_("个，共 %(count)s 个项目。"),
    "unmarked_after": N_("个项目未测评，未测评的项目计为基本满意。"),
}


class PhraseUnknown(BallotError):
    code = "phrase_unknown"
    status = 404
    message = N_("没有这段语音：投票机只能朗读它自己的固定提示和本轮项目的名称。")


class SpeechUnavailable(BallotError):
    code = "speech_unavailable"
    status = 503
    message = N_("服务器未安装 espeak-ng，不能生成语音；投票机只能使用浏览器自带的中文语音。")


class SpeechTooFrequent(BallotError):
    code = "speech_too_frequent"
    status = 429
    message = N_("语音请求过于频繁，请稍后再试。")


class SpeechFailed(BallotError):
    code = "speech_failed"
    status = 503
    message = N_("语音生成失败，请稍后再试；投票机仍可用屏幕投票。")


def available() -> bool:
    """Whether this server can make audio clips (espeak-ng is installed)."""
    return shutil.which(ESPEAK) is not None


def _phrases(session: VoteSession | None) -> dict[str, str]:
    if session is not None and session.kind == "rating":
        return {**PHRASES, **RATING_PHRASES}
    return PHRASES


def phrases(session: VoteSession | None = None) -> dict[str, str]:
    """The fixed phrases of ``session``'s ballot kind, translated (the kiosk page fills in its
    round's figures itself)."""
    return {key: gettext(text) for key, text in _phrases(session).items()}


def clip_text(clip: str, session: VoteSession, round_: Round | None) -> str | None:
    """The text of clip ``clip`` at a kiosk of ``session`` with ``round_`` open, or None when
    ``clip`` names nothing the kiosk may say (any text that is not a known phrase, a number, a
    tracking-code character or the title of a project of the open round)."""
    kind, _, arg = clip.partition("-")
    fixed = _phrases(session)
    if clip in fixed and clip != "item":  # item: only as item-<n>
        if clip in ROUND_PHRASES:
            if round_ is None:
                return None
            return gettext(fixed[clip]) % {"count": len(round_.candidates), "quota": round_.quota}
        return gettext(fixed[clip])
    if kind == "num" and arg.isdigit() and arg == str(int(arg)) and int(arg) <= MAX_NUMBER:
        return arg
    if kind == "char" and len(arg) == 1 and arg in CHARACTERS:
        return arg
    if round_ is None:
        return None
    if kind == "item" and arg.isdigit() and arg == str(int(arg)) \
            and 1 <= int(arg) <= len(round_.candidates):
        return gettext(PHRASES["item"]) % {"n": int(arg)}
    if kind == "cand" and arg in round_.candidates:
        titles = {c["code"]: c["title"] for c in voting.ballot_view(session, round_)["candidates"]}
        return titles[arg]
    return None


class _Limiter:
    """At most ``limit`` events per ``period`` seconds for each key (a kiosk), in this process."""

    def __init__(self, limit: int, period: float = 60.0):
        self.limit, self.period = limit, period
        self._lock = threading.Lock()
        self._events: dict[object, deque[float]] = {}

    def allow(self, key: object, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.period:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 10_000:  # forget kiosks that went quiet
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.period]:
                    del self._events[stale]
            return True


class _Cache:
    """Clips already made, least recently used first out, at most ``limit`` bytes in all."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._clips: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._size = 0

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            audio = self._clips.get(key)
            if audio is not None:
                self._clips.move_to_end(key)
            return audio

    def put(self, key: tuple[str, str], audio: bytes) -> None:
        with self._lock:
            if key in self._clips:
                return
            self._clips[key] = audio
            self._size += len(audio)
            while self._size > self.limit and self._clips:
                _, dropped = self._clips.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._clips.clear()
            self._size = 0


limiter = _Limiter(PER_MINUTE)
cache = _Cache(CACHE_BYTES)
_synthesisers = threading.BoundedSemaphore(2)


def _fix_wav_sizes(audio: bytes) -> bytes:
    """espeak-ng --stdout writes a WAV whose sizes say "unknown" (it streams): set the real ones
    so every player knows where the clip ends."""
    if len(audio) < 44 or audio[:4] != b"RIFF" or audio[8:12] != b"WAVE":
        raise SpeechFailed()
    fixed = bytearray(audio)
    fixed[4:8] = (len(audio) - 8).to_bytes(4, "little")
    offset = 12
    while offset + 8 <= len(fixed):
        size = int.from_bytes(fixed[offset + 4:offset + 8], "little")
        if fixed[offset:offset + 4] == b"data":
            fixed[offset + 4:offset + 8] = (len(audio) - offset - 8).to_bytes(4, "little")
            return bytes(fixed)
        offset += 8 + size + (size & 1)
    raise SpeechFailed()


def synthesize(text: str, voice: str) -> bytes:
    """``text`` spoken by espeak-ng's ``voice``, as a WAV file (cached)."""
    if not text.strip() or len(text) > MAX_TEXT:
        raise PhraseUnknown()
    key = (voice, text)
    audio = cache.get(key)
    if audio is not None:
        return audio
    if not available():
        raise SpeechUnavailable()
    with _synthesisers:
        try:
            # The text goes on stdin, never as an argument: a title starting with "-" is text.
            done = subprocess.run([ESPEAK, "-v", voice, "-s", str(SPEED), "--stdout"],
                                  input=text.encode("utf-8"), capture_output=True,
                                  timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            raise SpeechFailed() from None
    if done.returncode != 0 or len(done.stdout) > MAX_AUDIO:
        raise SpeechFailed()
    audio = _fix_wav_sizes(done.stdout)
    cache.put(key, audio)
    return audio


def clip_audio(session: VoteSession, kiosk_id: int, language: str, clip: str) -> bytes:
    """The WAV of clip ``clip`` for kiosk ``kiosk_id`` of ``session`` (speaking ``language``);
    PhraseUnknown for anything but the kiosk's known texts, SpeechTooFrequent past the rate."""
    if len(clip) > 40:
        raise PhraseUnknown()
    if not limiter.allow(kiosk_id):
        raise SpeechTooFrequent()
    text = clip_text(clip, session, rounds.open_round(session))
    if text is None:
        raise PhraseUnknown()
    letter = clip.startswith("char-") and clip[5:].isalpha()
    voice = (LETTER_VOICES if letter else VOICES).get(language, VOICES["zh"])
    return synthesize(text, voice)
