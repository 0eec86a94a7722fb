"""``attendance audit verify``, ``attendance audit anchor`` and ``attendance keys rotate``."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from attendance.cli.common import organisations
from attendance.evidence import (
    ChainReport,
    anchor_line,
    read_anchor_files,
    take_anchor,
    verify_chain,
)
from attendance.extensions import db
from attendance.models import SigningKey
from attendance.signing.keys import rotate_keys

MAX_LISTED = 50  # anomalies printed per organisation


@click.group("audit")
def audit_group():
    """Contrôles du journal de preuves."""


@audit_group.command("verify")
@click.option("--siret", help="Un seul organisme (par défaut : tous)")
@click.option(
    "--anchors",
    "anchors_path",
    type=click.Path(exists=True, dir_okay=True, path_type=Path),
    help="Ancres conservées hors de la base (fichier ou dossier : lignes de « audit anchor », "
    "e-mails du récapitulatif quotidien)",
)
@with_appcontext
def verify_command(siret, anchors_path):
    """Vérifie le journal de preuves dans les deux sens (chaque émargement ou correctif a son
    entrée, chaque entrée son enregistrement) et que chaque tête ancrée y est encore ; nomme
    ce qui manque, a été ajouté ou modifié."""
    by_siret: dict[str, list] = {}
    if anchors_path is not None:
        for anchor_siret, anchor in read_anchor_files(anchors_path):
            by_siret.setdefault(anchor_siret, []).append(anchor)
    broken = False
    for org in organisations(siret):
        report = verify_chain(db.session, org, by_siret.get(org.siret, []))
        broken |= not report.ok
        _print_report(org, report)
    sys.exit(1 if broken else 0)


def _print_report(org, report: ChainReport) -> None:
    name = f"{org.name} (SIRET {org.siret})"
    if report.broken_at is not None or report.problem:
        click.secho(f"{name} : journal ROMPU à l'{report.where} — {report.problem}.", fg="red")
        return
    line = f"{name} : {report.entries} entrée(s) dans {report.chains} chaîne(s)"
    problems = report.record_problems + report.anchor_problems
    if not problems:
        click.secho(
            f"{line}, chaînes intègres ; {report.anchors} ancre(s) vérifiée(s).", fg="green"
        )
        return
    click.secho(f"{line}, chaînage continu mais {len(problems)} anomalie(s) :", fg="red")
    for problem in problems[:MAX_LISTED]:
        click.secho(f"  - {problem}", fg="red")
    if len(problems) > MAX_LISTED:
        click.secho(f"  … et {len(problems) - MAX_LISTED} autre(s).", fg="red")


@audit_group.command("anchor")
@click.option("--siret", help="Un seul organisme (par défaut : tous)")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier auquel ajouter les ancres (par défaut : la sortie standard)",
)
@with_appcontext
def anchor_command(siret, out):
    """Relève les têtes de toutes les chaînes (une ligne JSON par organisme), à conserver
    hors du serveur de la base : « audit verify --anchors » détecte alors un journal
    rembobiné."""
    lines = [anchor_line(take_anchor(db.session, org)) for org in organisations(siret)]
    if out is None:
        for line in lines:
            click.echo(line)
        return
    with out.open("a", encoding="utf-8") as file:
        file.writelines(line + "\n" for line in lines)
    click.echo(f"{len(lines)} ancre(s) ajoutée(s) à {out}.")


@click.group("keys")
def keys_group():
    """Clés de signature des QR codes et liens."""


@keys_group.command("rotate")
@click.option(
    "--alg",
    type=click.Choice(["HS256", "EdDSA"]),
    default=None,
    help="Algorithme de la nouvelle clé (par défaut : SIGNING_ALG)",
)
@with_appcontext
def rotate_command(alg):
    """Crée une nouvelle clé de signature ; les anciennes vérifient encore ce qu'elles ont signé."""
    key = rotate_keys(db.session, alg or current_app.config.get("SIGNING_ALG", "HS256"))
    db.session.commit()
    click.echo(f"Nouvelle clé {key.kid} ({key.alg}) active.")


@keys_group.command("list")
@with_appcontext
def list_command():
    """Liste les clés (jamais leur secret)."""
    for key in db.session.scalars(select(SigningKey).order_by(SigningKey.created_at)):
        state = f"retirée le {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else "active"
        click.echo(f"{key.kid}  {key.alg}  créée le {key.created_at:%Y-%m-%d %H:%M}  {state}")


COMMANDS = (audit_group, keys_group)
