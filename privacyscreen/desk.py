"""`privacyscreen review OUT_DIR`: the review desk, a local web page over `review.Desk`.

Flask, because the work is plain synchronous calls into the pipeline, one reviewer at a time, and
Flask is small, long-kept and needs no event loop; Werkzeug serves it. Safe by construction: it
listens on 127.0.0.1 only, on a port the system picks, and answers only under a random token in
the path (every other path is "not found"); every change is a POST carrying the page's CSRF token
and, when the browser names one, the page's own origin; photos are named by their number in the
report, never by a path; the page loads nothing from elsewhere (its CSS and script are inline,
under a content security policy that allows nothing else).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from html import escape
from urllib.parse import quote

from flask import Flask, abort, redirect, request, send_file
from werkzeug.wrappers import Response

from . import compose
from .consent import CHANNELS
from .findings import Action, Shape
from .messages import UserError, say
from .policy import HIDES_FACE, Verdict
from .report import BADGE_COLOURS
from .review import Desk, Harmless

CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
nav a{margin-right:.75rem}.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}
.card:focus{outline:3px solid #1565c0}
.stage{position:relative;display:inline-block;max-width:min(900px,100%);cursor:crosshair}
.stage img{max-width:100%;display:block;user-select:none}
.box{position:absolute;border:2px solid #ffc800;pointer-events:none}.box.kept{border-color:#6a1b9a}
.compositions{display:flex;gap:.5rem;margin:.5rem 0}.composition{margin:0}.composition img{max-height:180px}
.stills{display:grid;grid-template-columns:1fr 1fr;gap:.25rem;max-width:900px}.still{position:relative}
.still img{width:100%;display:block}
.draft{position:absolute;border:2px dashed #e00}
.badge{color:#fff;border-radius:4px;padding:.1rem .5rem;font-weight:600}.corrected{color:#6a1b9a;font-weight:600}
form{display:inline-block;margin:.25rem .5rem .25rem 0}.error{color:#b71c1c;font-weight:600}
"""
SCRIPT = """
for (const stage of document.querySelectorAll('.stage')) {
  const img = stage.querySelector('img'), forms = stage.parentElement.querySelectorAll('form.hide, form.compose');
  let start = null, draft = null;
  const at = e => { const r = img.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  stage.addEventListener('mousedown', e => { e.preventDefault(); start = at(e);
    draft = document.createElement('div'); draft.className = 'draft'; stage.appendChild(draft); });
  stage.addEventListener('mousemove', e => { if (!start) return; const [x, y] = at(e);
    Object.assign(draft.style, {left: Math.min(x, start[0]) + 'px', top: Math.min(y, start[1]) + 'px',
      width: Math.abs(x - start[0]) + 'px', height: Math.abs(y - start[1]) + 'px'}); });
  stage.addEventListener('mouseup', e => { if (!start) return; const [x, y] = at(e);
    const k = img.naturalWidth / img.clientWidth, box = [Math.min(x, start[0]), Math.min(y, start[1]),
      Math.abs(x - start[0]), Math.abs(y - start[1])].map(v => Math.round(v * k));
    start = null; if (box[2] < 4 || box[3] < 4) { draft.remove(); return; }
    for (const form of forms) { form.box.value = box.join(','); form.querySelector('button').disabled = false; } });
}
const cards = [...document.querySelectorAll('.card')];
document.addEventListener('keydown', e => {
  if (e.target.closest('select,input,button')) return;
  const i = cards.indexOf(document.activeElement);
  const next = e.key === 'j' || e.key === 'ArrowDown' ? i + 1 : e.key === 'k' || e.key === 'ArrowUp' ? i - 1 : null;
  if (next === null || !cards.length) return;
  e.preventDefault(); cards[Math.max(0, Math.min(cards.length - 1, next))].focus();
});
"""


def app(desk: Desk, lang: str, token: str | None = None) -> tuple[Flask, str]:
    """The desk's web app, and the token its pages live under."""
    token = token or secrets.token_urlsafe(24)
    csrf = secrets.token_urlsafe(24)
    web = Flask(__name__)
    base = f"/{token}"

    def t(code: str, **params: object) -> str:
        return escape(say(code, lang, **params))

    web.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a change is a few fields

    @web.before_request
    def guard() -> None:
        request.get_data(parse_form_data=True)  # all of it: a refused request must not keep the server waiting
        if not request.path.startswith(base + "/") and request.path != base:
            abort(404)
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if request.form.get("csrf") != csrf or (origin and origin != request.host_url.rstrip("/")):
                abort(403)

    @web.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Referrer-Policy"] = "same-origin"  # "no-referrer" makes Chromium send "Origin: null"
        response.headers["Cache-Control"] = "no-store"
        return response

    @web.get(f"{base}/")
    def gallery() -> str:
        shown = request.args.get("verdict")
        error = request.args.get("error", "")
        links = " ".join(f'<a href="{base}/?verdict={v}">{t(v)}</a>' for v in Verdict if v != Verdict.ERROR)
        forms = "".join(f'<option value="{escape(f.id)}">{escape(f.id)}: {escape(f.subject)}</option>'
                        for f in desk.forms())  # fmt: skip
        cards = "".join(card(i, r, forms) for i, r in enumerate(desk.photos) if not shown or r["verdict"] == shown)
        problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t("desk-title")}</title>'
                f"<style>{CSS}</style></head><body><h1>{t('desk-title')}</h1><nav>"
                f'<a href="{base}/">{t("desk-all")}</a> {links}</nav><p>{t("desk-help")}</p>{problem}{cards}'
                f"<script>{SCRIPT}</script></body></html>")  # fmt: skip

    def options(values: Iterable[str], prefix: str) -> str:
        return "".join(f'<option value="{v}">{t(prefix + v)}</option>' for v in values)

    def keeps(i: int, r: dict, forms: str) -> str:
        """A form per face: keep it visible under the consent form its person signed."""
        out = []
        for n, f in enumerate(r["findings"]):
            if f["kind"] not in HIDES_FACE:
                continue
            if f.get("consent"):
                out.append(f'<p class="kept">{t("desk-kept", form=f["consent"])}</p>')
            elif forms:
                fields = (f'<input type="hidden" name="finding" value="{n}">{t("desk-keep-face", kind=f["kind"])} '
                          f'<select name="form">{forms}</select> {t("desk-keep-for")} '
                          f'<select name="channel">{options(CHANNELS, "channel-")}</select>')
                out.append(post(i, "keep", fields, "desk-keep"))
        return "".join(out)

    def outlined(boxes: Iterable[tuple[list[int], str]], w: int, h: int) -> str:
        """Boxes (x, y, width, height in the picture's pixels, a CSS class) drawn over a picture."""
        return "".join(f'<div class="box {kind}" style="left:{100 * x / w:.2f}%;top:{100 * y / h:.2f}%;'
                       f'width:{100 * bw / w:.2f}%;height:{100 * bh / h:.2f}%"></div>'
                       for (x, y, bw, bh), kind in boxes)  # fmt: skip

    def post(i: int, action: str, fields: str, button: str, disabled: bool = False) -> str:
        return (f'<form method="post" action="{base}/photo/{i}/{action}" class="{action}"><input type="hidden" '
                f'name="csrf" value="{csrf}">{fields}<button{" disabled" if disabled else ""}>{t(button)}</button>'
                "</form>")  # fmt: skip

    def picture(i: int, r: dict) -> str:
        """The safe copy with what is hidden outlined (four frames of a clip), and its compositions."""
        w, h = r["size"]
        version = r["outputs"][0]["sha256"][:12]
        if r.get("frames") is not None:
            return '<div class="stills">' + "".join(
                f'<div class="still"><img src="{base}/still/{i}/{n}?v={version}" alt="{escape(r["source"])} {n}">'
                f'{outlined(((b, "hidden") for b in boxes), w, h)}</div>'
                for n, boxes in r.get("stills", {}).items()) + "</div>"  # fmt: skip
        marked = [(f["box"], "kept" if f.get("consent") else "hidden") for f in r["findings"]
                  if f["action"] == Action.REDACTED or f.get("consent")]  # fmt: skip
        crops = "".join(
            f'<figure class="composition" data-composition="{o["composition"]}"><img src="{base}/image/{i}/{k}?v='
            f'{o["sha256"][:12]}" alt="{t("compose-" + o["composition"])}"><figcaption>'
            f'{t("compose-" + o["composition"])}</figcaption></figure>'
            for k, o in enumerate(r["outputs"]) if o.get("composition")
        )  # fmt: skip
        return (f'<div class="stage"><img src="{base}/image/{i}/0?v={version}" alt="{escape(r["source"])}" '
                f'draggable="false">{outlined(marked, w, h)}</div><div class="compositions">{crops}</div>')

    def corrections(i: int, r: dict, forms: str) -> str:
        """The forms that correct a photo: hide what was missed, make a composition of it, show a
        harmless redaction again, keep a face under its consent form."""
        if r.get("frames") is not None:
            return f'<p>{t("desk-clip")}</p>'
        box = '<input type="hidden" name="box">'
        hide = post(i, "hide", f'{box}<select name="shape">{options(Shape, "desk-shape-")}</select>', "desk-hide",
                    disabled=True)  # fmt: skip
        crop = post(i, "compose", f'{box}<select name="subject">{options(compose.CONTEXT, "compose-")}</select>'
                                  f'<select name="aspect">{"".join(f"<option>{a}</option>" for a in compose.ASPECTS)}'
                                  "</select>", "desk-compose", disabled=True)  # fmt: skip
        shows = "".join(
            post(i, "show", f'<input type="hidden" name="finding" value="{n}">{t("desk-finding", kind=f["kind"])} '
                            f'<select name="why">{options(Harmless, "desk-why-")}</select>', "desk-show")
            for n, f in enumerate(r["findings"]) if f["action"] == Action.REDACTED
        )  # fmt: skip
        return f"<div>{hide}{crop}</div><div>{shows}</div><div>{keeps(i, r, forms)}</div>"

    def card(i: int, r: dict, forms: str) -> str:
        reasons = "".join(f"<li>{escape(reason[lang])}</li>" for reason in r["reasons"])
        approve = post(i, "approve", f'<select name="channel">{options(CHANNELS, "channel-")}</select>', "desk-approve")
        corrected = f' <span class="corrected">{t("desk-corrected")}</span>' if r.get("corrected") else ""
        verdict = Verdict(r["verdict"])
        return (f'<section class="card" tabindex="0" data-verdict="{verdict}" id="photo-{i}">'
                f'<h2><span class="badge" style="background:{BADGE_COLOURS[verdict]}">{t(verdict)}</span> '
                f'{escape(r["source"])}{corrected}</h2>{picture(i, r)}<ul>{reasons}</ul>{corrections(i, r, forms)}'
                f"<div>{approve}</div></section>")  # fmt: skip

    @web.get(f"{base}/image/<int:i>/<int:k>")
    def image(i: int, k: int) -> Response:
        try:
            return send_file(desk.path(i, k).resolve())
        except UserError:
            abort(404)

    @web.get(f"{base}/still/<int:i>/<int:n>")
    def still(i: int, n: int) -> Response:
        try:
            return Response(desk.still(i, n), mimetype="image/jpeg")
        except UserError:
            abort(404)

    def done(i: int, change: Callable[[], object]) -> Response:
        try:
            change()
        except UserError as e:  # a ReviewError, or the register's ConsentError
            return redirect(f"{base}/?error={quote(e.text(lang))}#photo-{i}", 303)
        return redirect(f"{base}/#photo-{i}", 303)

    def drawn() -> tuple[int, int, int, int]:
        """The box the reviewer drew, as the page posts it ("x,y,w,h" in the photo's pixels)."""
        x, y, w, h = (int(v) for v in request.form["box"].split(","))
        return x, y, w, h

    @web.post(f"{base}/photo/<int:i>/hide")
    def hide(i: int) -> Response:
        try:
            box, shape = drawn(), Shape(request.form["shape"])
        except (KeyError, ValueError):
            abort(400)
        return done(i, lambda: desk.hide(i, box, shape))

    @web.post(f"{base}/photo/<int:i>/show")
    def show(i: int) -> Response:
        try:
            n, why = int(request.form["finding"]), Harmless(request.form["why"])
        except (KeyError, ValueError):
            abort(400)
        return done(i, lambda: desk.show(i, n, why))

    @web.post(f"{base}/photo/<int:i>/keep")
    def keep(i: int) -> Response:
        try:
            n, form, channel = int(request.form["finding"]), request.form["form"], request.form["channel"]
        except (KeyError, ValueError):
            abort(400)
        return done(i, lambda: desk.keep(i, n, form, channel))

    @web.post(f"{base}/photo/<int:i>/compose")
    def crop(i: int) -> Response:
        try:
            box, subject, aspect = drawn(), request.form["subject"], request.form["aspect"]
        except (KeyError, ValueError):
            abort(400)
        return done(i, lambda: desk.compose(i, subject, box, aspect))

    @web.post(f"{base}/photo/<int:i>/approve")
    def approve(i: int) -> Response:
        return done(i, lambda: desk.approve(i, request.form.get("channel", "")))

    return web, token
