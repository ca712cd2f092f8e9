"""Command line: thin shells over library calls that return data.

Exit codes: 0 every photo screened, 1 some could not be, 2 usage error.

Only light modules are imported here; a command imports the modules that decode, redact and write
photos (numpy, OpenCV, Pillow) when it runs, so that --help and the consent commands start fast.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import click

from . import __version__, consent, models
from . import compose as composition
from .engines import Engine, dask_distributed
from .findings import Kind, Shape, Style
from .messages import LANGUAGES, UserError, language_of, os_problem, say, shown, speak
from .policy import Policy, PolicyError, Verdict

TEXTS: dict[str, dict[str, object]] = {}  # the codes click holds as --help texts, with their parameters


def help_text(code: str, **params: object) -> str:
    """A text of --help. Click holds its code until the command line runs and knows its language;
    CommandLine.main then says it in that language."""
    TEXTS[code] = params
    return code


class CommandLine(click.Group):
    """The command line speaks the language of the run: the last --lang anywhere on it, else the
    locale's. `main` (the console script's entry, and CliRunner's) decides it before click parses
    anything, has click and argparse speak it, says every --help text in it, and gives it to the
    commands as the context's `obj` (the default of their --lang)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        lang = language_of(sys.argv[1:] if args is None else args)
        speak(lang)
        for item, attr, code in help_codes(self):
            setattr(item, attr, say(code, lang, **TEXTS[code]))
        return super().main(args, *rest, obj=lang, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a problem the user can fix that no command caught (a changed model
        file) is its message in the language of the run, with exit code 1."""
        try:
            return super().invoke(ctx)
        except UserError as e:
            raise click.ClickException(e.text(ctx.obj)) from None


@cache
def help_codes(command: click.Command) -> list[tuple[object, str, str]]:
    """(object, attribute, code) of every --help text of `command`, its options and its subcommands."""
    found = [
        (item, attr, code)
        for item in (command, *command.params)
        for attr in ("help", "show_default", "metavar")
        if (code := getattr(item, attr, None)) in TEXTS
    ]
    for sub in command.commands.values() if isinstance(command, click.Group) else ():
        found += help_codes(sub)
    return found


def lang_option(expose_value: bool = True):
    """--lang. Groups take it too (expose_value False), so it may stand anywhere on the command line:
    CommandLine.main finds it there, for --help and as the default of the command that runs."""
    return click.option(
        "--lang", type=click.Choice(LANGUAGES), default=lambda: click.get_current_context().obj,
        show_default=help_text("help-default-locale"), expose_value=expose_value, help=help_text("help-lang"),
    )  # fmt: skip


def register_option(f):
    return click.option(
        "--register", "register_path", type=click.Path(path_type=Path, dir_okay=False),
        default=consent.default_path, show_default=help_text("help-default-register", env=consent.ENV),
        help=help_text("help-register"),
    )(f)  # fmt: skip


def policy_options(f):
    """--policy and --allow; the command gets `rules`, the loaded Policy."""

    def load(ctx: click.Context, param: click.Parameter, value: object) -> object:
        ctx.meta.setdefault("policy", {})[param.name] = value
        return value

    f = click.option(
        "--allow", multiple=True, metavar=help_text("help-metavar-word"), callback=load, expose_value=False,
        help=help_text("help-allow"),
    )(f)  # fmt: skip
    return click.option(
        "--policy", default="strict", show_default=True, callback=load, expose_value=False,
        help=help_text("help-policy"),
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
    from . import write

    with ExitStack() as held:
        try:
            held.enter_context(write.exclusive(path))
        except write.FolderInUse as e:
            raise click.ClickException(say("error-folder-in-use", lang, path=path, pid=e)) from None
        except OSError as e:
            problem = say(os_problem(e), lang)
            raise click.ClickException(say("error-out-folder", lang, path=path, items=problem)) from None
        yield


def open_register(path: Path, lang: str) -> consent.Register:
    with consent_errors(lang):
        return consent.Register(path)


@click.group(cls=CommandLine, help=help_text("help-main"), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="privacyscreen")
@lang_option(expose_value=False)
def main() -> None:
    pass


@main.command(help=help_text("help-run"))
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help=help_text("help-run-out"),
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help=help_text("help-run-report"),
)
@click.option(
    "--style",
    type=click.Choice([s.value for s in Style]),
    default=Style.BLUR.value,
    show_default=True,
    help=help_text("help-run-style"),
)
@click.option(
    "--shape",
    type=click.Choice([s.value for s in Shape]),
    default=Shape.ELLIPSE.value,
    show_default=True,
    help=help_text("help-run-shape"),
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help=help_text("help-run-html"),
)
@click.option(
    "--keep",
    type=click.Choice(["faces"]),
    multiple=True,
    help=help_text("help-run-keep"),
)
@click.option("--consent", "consents", multiple=True, metavar="ID", help=help_text("help-run-consent"))
@click.option("--channel", type=click.Choice(consent.CHANNELS), help=help_text("help-run-channel"))
@register_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default=help_text("help-default-cores"),
    help=help_text("help-run-jobs"),
)
@click.option(
    "--engine", type=click.Choice([e.value for e in Engine]), default=Engine.PROCESSES.value, show_default=True,
    help=help_text("help-run-engine"),
)  # fmt: skip
@click.option("--scheduler", metavar=help_text("help-metavar-address"), help=help_text("help-run-scheduler"))
@click.option(
    "--compose", is_flag=True,
    help=help_text("help-run-compose"),
)  # fmt: skip
@click.option(
    "--aspect", "aspects", type=click.Choice(list(composition.ASPECTS)), multiple=True,
    help=help_text("help-run-aspect"),
)  # fmt: skip
@click.option(
    "--time-limit", type=click.FloatRange(min=0), default=300, show_default=True,
    metavar=help_text("help-metavar-seconds"), help=help_text("help-run-time-limit"),
)  # fmt: skip
@policy_options
@lang_option()
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
    engine: str,
    scheduler: str | None,
    compose: bool,
    aspects: tuple[str, ...],
    time_limit: float,
    lang: str,
) -> None:
    from tqdm import tqdm

    from . import report, screen, write

    if keep and not channel:
        raise click.UsageError(say("usage-keep-channel", lang))
    if consents and not keep:
        raise click.UsageError(say("usage-consent-keep", lang))
    if scheduler and engine != Engine.DASK:
        raise click.UsageError(say("usage-scheduler-engine", lang))
    if scheduler and consents:  # the workers elsewhere would not see this computer's register
        raise click.UsageError(say("usage-scheduler-consent", lang))
    if engine == Engine.DASK:
        dask_distributed()  # without Dask, a clear error before the output folder is made
    if keep and consents:
        open_register(register_path, lang).db.close()  # a clear error now rather than one per photo
    for item in inputs:
        if item.is_dir() and item.resolve() == out_dir.resolve():
            raise click.UsageError(say("usage-out-input", lang, path=item))
    settings = screen.Settings(
        style=Style(style), shape=Shape(shape), keep=frozenset({Kind.FACE} if keep else ()), consents=consents,
        channel=channel, register=register_path, policy=load_policy(lang), compose=compose,
        aspects=aspects or tuple(composition.ASPECTS), time_limit=time_limit or None,
        progress=jobs == 1 and engine == Engine.PROCESSES,
    )  # fmt: skip
    report_path = report_path or out_dir / report.NAME
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

            results = screen.run(plan, settings, show, workers=jobs, engine=Engine(engine), scheduler=scheduler)
        data = report.build(results, settings, report_path.parent, out_dir, html_path, lang)
        try:
            report.save(data, report_path)
            if html_path:
                report.write_html(data, report_path.parent, html_path, lang)
        except OSError as e:
            raise click.ClickException(say("error-report", lang, items=say(os_problem(e), lang))) from None
        tally = data["summary"]
        parts = ", ".join(f"{n} {say(v, lang)}" for v, n in tally.items() if n)
        click.echo(say("summary", lang, count=len(results), counts=parts or "0"))
        click.echo(say("summary-outputs", lang, out=out_dir, report=report_path))
        if compose:
            made = sum(o.kind == "composition" for r in results for o in r.outputs)
            click.echo(say("summary-compositions", lang, count=made))
        if tally[Verdict.ERROR]:
            click.echo(say("summary-errors", lang, count=tally[Verdict.ERROR]), err=True)
            raise SystemExit(1)


@main.command(help=help_text("help-watch"))
@click.argument("inbox", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help=help_text("help-watch-out"),
)
@click.option("--poll", is_flag=True, help=help_text("help-watch-poll"))
@click.option(
    "--quiet-seconds",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    help=help_text("help-watch-quiet-seconds"),
)
@click.option(
    "--settle-seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help=help_text("help-watch-settle-seconds"),
)
@click.option("--compose", is_flag=True, help=help_text("help-watch-compose"))
@policy_options
@lang_option()
def watch(
    inbox: Path, out_dir: Path, poll: bool, quiet_seconds: float, settle_seconds: float, compose: bool, lang: str
) -> None:
    from . import screen
    from . import watch as drop_folder

    if inbox.resolve() == out_dir.resolve() or out_dir.resolve().is_relative_to(inbox.resolve()):
        raise click.UsageError(say("usage-out-inbox", lang))
    settings = screen.Settings(policy=load_policy(lang), compose=compose)
    with output_folder(out_dir, lang):
        folder = drop_folder.DropFolder(inbox, out_dir, settings, lang, quiet=quiet_seconds, settle=settle_seconds)
        click.echo(say("watch-started", lang, inbox=inbox, out=out_dir))
        drop_folder.run_until_signalled(folder, poll)


@main.command(help=help_text("help-review"))
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--reviewer", default=getpass.getuser, show_default=help_text("help-default-reviewer"),
              help=help_text("help-review-reviewer"))  # fmt: skip
@click.option("--no-browser", is_flag=True, help=help_text("help-review-no-browser"))
@click.option("--policy", "policy_name", help=help_text("help-review-policy"))
@register_option
@lang_option()
def review(out_dir: Path, reviewer: str, no_browser: bool, policy_name: str | None, register_path: Path,
           lang: str) -> None:  # fmt: skip
    import webbrowser

    from werkzeug.serving import make_server

    from . import desk, review

    try:
        work = review.Desk(out_dir, register_path, reviewer,
                           Policy.load(policy_name) if policy_name else None)  # fmt: skip
    except (review.ReviewError, PolicyError) as e:
        raise click.ClickException(e.text(lang)) from None
    with output_folder(out_dir, lang):
        web, token = desk.app(work, lang)
        server = make_server("127.0.0.1", 0, web)
        url = f"http://127.0.0.1:{server.server_port}/{token}/"
        click.echo(say("review-started", lang, url=url))
        if not no_browser:
            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # every change is already written and on record
            pass
        finally:
            server.server_close()
            work.close()


@main.command(help=help_text("help-check"), context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def check(lang: str, args: tuple[str, ...]) -> None:
    from . import check as check_photos

    # argparse reads the arguments after `check`; a --lang among them overrides the language of the run
    raise SystemExit(check_photos.main(["--lang", lang, *args]))


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


@main.group("consent", help=help_text("help-consent"))
@lang_option(expose_value=False)
def consent_group() -> None:
    pass


@consent_group.command("add", help=help_text("help-consent-add"))
@click.argument("form_id")
@click.option("--subject", required=True, help=help_text("help-consent-add-subject"))
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help=help_text("help-consent-add-channel", channels=", ".join(consent.CHANNELS)),
)
@click.option(
    "--scope",
    required=True,
    help=help_text("help-consent-add-scope", unrecognisable=consent.UNRECOGNISABLE_ONLY),
)
@click.option("--valid-from", required=True, help=help_text("help-consent-add-valid-from"))
@click.option("--valid-until", help=help_text("help-consent-add-valid-until"))
@click.option("--form-version", required=True, help=help_text("help-consent-add-form-version"))
@click.option("--representative", help=help_text("help-consent-add-representative"))
@click.option("--role", type=click.Choice(consent.REPRESENTATIVE_ROLES), help=help_text("help-consent-add-role"))
@register_option
@lang_option()
def consent_add(form_id, subject, channels, scope, valid_from, valid_until, form_version, representative, role,
                register_path, lang) -> None:  # fmt: skip
    with open_register(register_path, lang) as register, consent_errors(lang):
        form = consent.Form(
            form_id, subject, "representative" if representative or role else "subject", representative, role,
            consent.parse_channels(list(channels)), scope, consent.parse_date(valid_from, "--valid-from"),
            consent.parse_date(valid_until, "--valid-until") if valid_until else None, form_version,
        )  # fmt: skip
        register.add(form)
        click.echo(describe(register.get(form_id), lang))


@consent_group.command("list", help=help_text("help-consent-list"))
@register_option
@lang_option()
def consent_list(register_path: Path, lang: str) -> None:
    with open_register(register_path, lang) as register:
        for form in register.forms():
            click.echo(describe(form, lang))


@consent_group.command("show", help=help_text("help-consent-show"))
@click.argument("form_id")
@register_option
@lang_option()
def consent_show(form_id: str, register_path: Path, lang: str) -> None:
    with open_register(register_path, lang) as register, consent_errors(lang):
        click.echo(describe(register.get(form_id), lang))


@consent_group.command("withdraw", help=help_text("help-consent-withdraw"))
@click.argument("form_id")
@click.option("--by", required=True, help=help_text("help-consent-withdraw-by"))
@click.option("--on", "on_date", help=help_text("help-consent-withdraw-on"))
@register_option
@lang_option()
def consent_withdraw(form_id: str, by: str, on_date: str | None, register_path: Path, lang: str) -> None:
    with open_register(register_path, lang) as register, consent_errors(lang):
        when = consent.parse_date(on_date, "--on") if on_date else date.today()
        click.echo(describe(register.withdraw(form_id, when, by), lang))


@consent_group.command("form", help=help_text("help-consent-form"))
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default="toestemmingsformulier.html",
    show_default=True,
    help=help_text("help-consent-form-out"),
)
@lang_option()
def consent_form(out_path: Path, lang: str) -> None:
    from . import write

    write.write_atomic(consent.printable_form(lang).encode("utf-8"), out_path)
    click.echo(out_path)


@consent_group.command("audit", help=help_text("help-consent-audit"))
@register_option
@lang_option()
def consent_audit(register_path: Path, lang: str) -> None:
    with open_register(register_path, lang) as register:
        for form, uses in register.audit(date.today()):
            click.echo(describe(form, lang))
            for output, channel in uses:
                click.echo(f"  {channel}: {shown(output)}")


@main.group("models", help=help_text("help-models"))
@lang_option(expose_value=False)
def models_group() -> None:
    pass


@models_group.command("verify", help=help_text("help-models-verify"))
@lang_option()
def models_verify(lang: str) -> None:
    problems = models.verify()
    for name, problem in problems.items():
        click.echo(problem.text(lang) if problem else say("model-ok", lang, model=name))
    if any(problems.values()):
        raise SystemExit(1)
