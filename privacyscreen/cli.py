"""Command line: thin shells over library calls that return data.

Exit codes: 0 every photo screened, 1 some could not be, 2 usage error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__, consent, models, redact, report, screen, write
from . import check as check_photos
from . import compose as composition
from . import watch as drop_folder
from .messages import LANGUAGES, default_language, say, shown
from .policy import ERROR, Policy, PolicyError

lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=default_language,
    show_default="from locale",
    help="Language of messages (en, nl).",
)


def register_option(f):
    return click.option(
        "--register", "register_path", type=click.Path(path_type=Path, dir_okay=False),
        default=consent.default_path, show_default=f"${consent.ENV} or ~/.local/share/privacyscreen/consent.sqlite",
        help="The consent register (an SQLite file, readable by its owner only).",
    )(f)  # fmt: skip


def policy_options(f):
    """--policy and --allow; the command gets `rules`, the loaded Policy."""

    def load(ctx: click.Context, param: click.Parameter, value: object) -> object:
        ctx.meta.setdefault("policy", {})[param.name] = value
        return value

    f = click.option(
        "--allow", multiple=True, metavar="WORD", callback=load, expose_value=False,
        help="A word or hashtag that may stay readable, such as the organisation's name (repeat).",
    )(f)  # fmt: skip
    return click.option(
        "--policy", default="strict", show_default=True, callback=load, expose_value=False,
        help="What is redacted and which verdict follows: strict, standard or a policy file (TOML).",
    )(f)  # fmt: skip


def load_policy(lang: str) -> Policy:
    """The Policy named by --policy and --allow of the current command."""
    given = click.get_current_context().meta.get("policy", {})
    try:
        return Policy.load(given.get("policy", "strict"), tuple(given.get("allow", ())))
    except PolicyError as e:
        raise click.UsageError(e.text(lang)) from None


@contextmanager
def consent_errors(lang: str) -> Iterator[None]:
    """A consent problem becomes a clear message in the user's language and exit code 1."""
    try:
        yield
    except consent.ConsentError as e:
        raise click.ClickException(e.text(lang)) from None


@contextmanager
def output_folder(path: Path, lang: str) -> Iterator[None]:
    """This process alone writes to the output folder while the command runs; a folder that is in
    use, read-only or full is a clear message (exit 1) before any photo is screened."""
    with ExitStack() as held:
        try:
            held.enter_context(write.exclusive(path))
        except write.FolderInUse as e:
            raise click.ClickException(say("error-folder-in-use", lang, path=path, pid=e)) from None
        except OSError as e:
            raise click.ClickException(say("error-out-folder", lang, path=path, detail=e.strerror or e)) from None
        yield


def open_register(path: Path, lang: str) -> consent.Register:
    with consent_errors(lang):
        return consent.Register(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="privacyscreen")
def main() -> None:
    """Screen workplace photos before they are shared: find faces, make them unrecognisable,
    remove identifying metadata, and report a verdict per photo."""


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the safe copies (created if needed). Originals are never changed.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON report file [default: OUT/privacyscreen-report.json].",
)
@click.option(
    "--style",
    type=click.Choice(redact.STYLES),
    default="blur",
    show_default=True,
    help="How faces are made unrecognisable.",
)
@click.option(
    "--shape",
    type=click.Choice(redact.SHAPES),
    default="ellipse",
    show_default=True,
    help="Shape of the redacted area.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write a self-contained HTML page with thumbnails of the safe copies.",
)
@click.option(
    "--keep",
    type=click.Choice(["faces"]),
    multiple=True,
    help="Keep faces visible: the photo then needs a valid consent form (--consent) for --channel.",
)
@click.option("--consent", "consents", multiple=True, metavar="ID", help="Consent form of a person kept (repeat).")
@click.option("--channel", type=click.Choice(consent.CHANNELS), help="Where the photo will be published.")
@register_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="number of cores",
    help="Photos screened in parallel, each worker loading the models once.",
)
@click.option(
    "--compose", is_flag=True,
    help="Also write crops that show hands, feet or the table and nobody's identity (NAME.hands.jpg ...).",
)  # fmt: skip
@click.option(
    "--aspect", "aspects", type=click.Choice(list(composition.ASPECTS)), multiple=True,
    help="Aspect ratio of compositions (repeat) [default: all].",
)  # fmt: skip
@click.option(
    "--time-limit", type=click.FloatRange(min=0), default=300, show_default=True, metavar="SECONDS",
    help="A photo that takes longer gets the verdict error (0: no limit).",
)  # fmt: skip
@policy_options
@lang_option
def run(
    inputs: tuple[Path, ...],
    out_dir: Path,
    report_path: Path | None,
    html_path: Path | None,
    style: str,
    shape: str,
    keep: tuple[str, ...],
    consents: tuple[str, ...],
    channel: str | None,
    register_path: Path,
    jobs: int,
    compose: bool,
    aspects: tuple[str, ...],
    time_limit: float,
    lang: str,
) -> None:
    """Screen photos and folders (recursively) and write safe copies under OUT
    (photos that still need consent under OUT/needs-consent)."""
    if keep and not channel:
        raise click.UsageError(say("usage-keep-channel", lang))
    if consents and not keep:
        raise click.UsageError(say("usage-consent-keep", lang))
    if keep and consents:
        open_register(register_path, lang).db.close()  # a clear error now rather than one per photo
    for item in inputs:
        if item.is_dir() and item.resolve() == out_dir.resolve():
            raise click.UsageError(say("usage-out-input", lang, path=item))
    settings = screen.Settings(
        style=style, shape=shape, keep=frozenset({"face"} if keep else ()), consents=consents, channel=channel,
        register=register_path, policy=load_policy(lang), compose=compose,
        aspects=aspects or tuple(composition.ASPECTS), time_limit=time_limit or None,
    )  # fmt: skip
    report_path = report_path or out_dir / "privacyscreen-report.json"
    with output_folder(out_dir, lang):
        write.remove_partial(out_dir)  # left by a run that was killed
        plan = screen.plan(inputs, out_dir)
        with tqdm(total=len(plan), unit="photo", disable=None, leave=False) as bar:

            def show(result: screen.Screening) -> None:
                line = f"{say(result.verdict, lang)}: {shown(result.source)}: " + "; ".join(
                    r.text(lang) for r in result.explanation
                )
                bar.write(line)
                bar.update()

            results = screen.run(plan, settings, show, workers=jobs)
        try:
            report.write_json(results, settings, report_path)
            if html_path:
                report.write_html(results, html_path, lang)
        except OSError as e:
            raise click.ClickException(say("error-report", lang, detail=e.strerror or e)) from None
        tally = report.counts(results)
        parts = ", ".join(f"{n} {say(v, lang)}" for v, n in tally.items() if n)
        click.echo(say("summary", lang, total=len(results), counts=parts or "0"))
        click.echo(say("summary-outputs", lang, out=out_dir, report=report_path))
        if compose:
            made = sum(o.kind == "composition" for r in results for o in r.outputs)
            click.echo(say("summary-compositions", lang, count=made))
        if tally[ERROR]:
            click.echo(say("summary-errors", lang, count=tally[ERROR]), err=True)
            raise SystemExit(1)


@main.command()
@click.argument("inbox", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for ready/, rejected/ and originals/.",
)
@click.option("--poll", is_flag=True, help="Poll instead of inotify (network shares, synced folders).")
@click.option(
    "--quiet-seconds",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help="A photo is taken once it has not changed for this long.",
)
@click.option(
    "--settle-seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="A photo that does not decode is rejected only after this long without change.",
)
@click.option("--compose", is_flag=True, help="Also put crops of hands, feet or the table in ready/ (see run).")
@policy_options
@lang_option
def watch(
    inbox: Path, out_dir: Path, poll: bool, quiet_seconds: float, settle_seconds: float, compose: bool, lang: str
) -> None:
    """Watch a drop folder: every photo put in INBOX is screened; originals move to OUT/originals."""
    if inbox.resolve() == out_dir.resolve() or out_dir.resolve().is_relative_to(inbox.resolve()):
        raise click.UsageError(say("usage-out-inbox", lang))
    settings = screen.Settings(policy=load_policy(lang), compose=compose)
    with output_folder(out_dir, lang):
        folder = drop_folder.DropFolder(inbox, out_dir, settings, lang, quiet=quiet_seconds, settle=settle_seconds)
        click.echo(say("watch-started", lang, inbox=inbox, out=out_dir))
        drop_folder.run_until_signalled(folder, poll)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def check(args: tuple[str, ...]) -> None:
    """Read-only check for pre-commit: exit 1 with a 'path: reason' line per unsafe photo."""
    raise SystemExit(check_photos.main(list(args)))


def describe(form: consent.Form, lang: str) -> str:
    if form.signed_by == "subject":
        signer = say("consent-signer-subject", lang)
    else:
        signer = f"{form.representative_name} ({form.representative_role})"
    state = (
        say("consent-state-withdrawn", lang, on=form.withdrawn_on, by=form.withdrawn_by)
        if form.withdrawn_on
        else say("consent-active", lang)
    )
    return say(
        "consent-describe", lang, form=form.id, subject=form.subject, signer=signer,
        channels=", ".join(form.channels), scope=form.scope, start=form.valid_from,
        end=form.valid_until or say("consent-open", lang), version=form.form_version, state=state,
    )  # fmt: skip


@main.group("consent")
def consent_group() -> None:
    """The consent register: signed consent forms (toestemmingsformulieren)."""


@consent_group.command("add")
@click.argument("form_id")
@click.option("--subject", required=True, help="Name or internal number of the person photographed.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help=f"A channel the form covers (repeat): {', '.join(consent.CHANNELS)}.",
)
@click.option(
    "--scope",
    required=True,
    help=f"These photos, this activity, or '{consent.UNRECOGNISABLE_ONLY}' (no recognisable photo).",
)
@click.option("--valid-from", required=True, help="First day the form is valid (YYYY-MM-DD).")
@click.option("--valid-until", help="Last day the form is valid (YYYY-MM-DD); none for open-ended.")
@click.option("--form-version", required=True, help="Version of the printed form that was signed.")
@click.option("--representative", help="Name of the representative who signed for the subject.")
@click.option(
    "--role", type=click.Choice(consent.REPRESENTATIVE_ROLES), help="The representative's role under the Wzd."
)
@register_option
@lang_option
def consent_add(form_id, subject, channels, scope, valid_from, valid_until, form_version, representative, role,
                register_path, lang) -> None:  # fmt: skip
    """Record a signed consent form."""
    with open_register(register_path, lang) as register, consent_errors(lang):
        form = consent.Form(
            form_id, subject, "representative" if representative or role else "subject", representative, role,
            consent.parse_channels(list(channels)), scope, consent.parse_date(valid_from, "--valid-from"),
            consent.parse_date(valid_until, "--valid-until") if valid_until else None, form_version,
        )  # fmt: skip
        register.add(form)
        click.echo(describe(register.get(form_id), lang))


@consent_group.command("list")
@register_option
@lang_option
def consent_list(register_path: Path, lang: str) -> None:
    """List every form in the register."""
    with open_register(register_path, lang) as register:
        for form in register.forms():
            click.echo(describe(form, lang))


@consent_group.command("show")
@click.argument("form_id")
@register_option
@lang_option
def consent_show(form_id: str, register_path: Path, lang: str) -> None:
    """Show one form."""
    with open_register(register_path, lang) as register, consent_errors(lang):
        click.echo(describe(register.get(form_id), lang))


@consent_group.command("withdraw")
@click.argument("form_id")
@click.option("--by", required=True, help="Who withdrew the consent.")
@click.option("--on", "on_date", help="Date of the withdrawal (YYYY-MM-DD) [default: today].")
@register_option
@lang_option
def consent_withdraw(form_id: str, by: str, on_date: str | None, register_path: Path, lang: str) -> None:
    """Record that consent was withdrawn (nothing is deleted)."""
    with open_register(register_path, lang) as register, consent_errors(lang):
        when = consent.parse_date(on_date, "--on") if on_date else date.today()
        click.echo(describe(register.withdraw(form_id, when, by), lang))


@consent_group.command("form")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default="toestemmingsformulier.html",
    show_default=True,
    help="Where to write the form (HTML; print it or save it as PDF from a browser).",
)
@lang_option
def consent_form(out_path: Path, lang: str) -> None:
    """Write a printable consent form with a tick box per channel."""
    write.write_atomic(consent.printable_form(lang).encode("utf-8"), out_path)
    click.echo(out_path)


@consent_group.command("audit")
@register_option
@lang_option
def consent_audit(register_path: Path, lang: str) -> None:
    """Every withdrawn or expired form and the outputs made under it: posts to take down."""
    with open_register(register_path, lang) as register:
        for form, uses in register.audit(date.today()):
            click.echo(describe(form, lang))
            for output, channel in uses:
                click.echo(f"  {channel}: {shown(output)}")


@main.group("models")
def models_group() -> None:
    """Inspect the bundled detection models."""


@models_group.command("verify")
def models_verify() -> None:
    """Check every bundled model file against its checksum in the manifest."""
    problems = models.verify()
    for name, problem in problems.items():
        click.echo(f"{name}: {problem or 'ok'}")
    if any(problems.values()):
        raise SystemExit(1)
