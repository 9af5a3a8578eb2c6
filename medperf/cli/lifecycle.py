"""`set-operational` and `withdraw` for every entity group: one definition, the same words everywhere."""

from collections.abc import Callable
from typing import Annotated, Any, Protocol

import typer
from pydantic import BaseModel

from medperf.cli.context import open_client
from medperf.cli.inputs import validated
from medperf.cli.options import JsonFlag
from medperf.cli.output import print_entity
from medperf.client import RegistryClient
from medperf.errors import ConfigError
from medperf.schemas import EntityState


class LifecycleApi(Protocol):
    """What an entity's client offers for its lifecycle (ContainersApi, ModelsApi, ...)."""

    def update(self, entity_id: int, update: Any, /) -> Any: ...

    def withdraw(self, entity_id: int, /) -> Any: ...


def add_lifecycle_commands(
    app: typer.Typer,
    entity: str,
    api: Callable[[RegistryClient], LifecycleApi],
    update_type: Callable[..., BaseModel],
    withdraw_note: str = "Refused while something live depends on it (the rules: docs/API.md).",
) -> None:
    """Add `set-operational ID` and `withdraw ID` to `app`; the registry enforces its rules and says why not."""
    EntityId = Annotated[int, typer.Argument(metavar="ID", help=f"The {entity}'s id.")]  # noqa: N806

    @app.command("set-operational", help=f"Move a {entity} from DEVELOPMENT to OPERATION (it is frozen after).")
    def set_operational(ctx: typer.Context, entity_id: EntityId, as_json: JsonFlag = False) -> None:
        with open_client(ctx) as client:
            row = api(client).update(entity_id, update_type(state=EntityState.OPERATION))
        print_entity(row, as_json=as_json, title=f"{entity} {entity_id} is in OPERATION")

    @app.command(
        "withdraw",
        help=f"Withdraw a {entity}: it leaves the lists and frees its name; the audit log keeps it. {withdraw_note}",
    )
    def withdraw(ctx: typer.Context, entity_id: EntityId, as_json: JsonFlag = False) -> None:
        with open_client(ctx) as client:
            row = api(client).withdraw(entity_id)
        print_entity(row, as_json=as_json, title=f"{entity} {entity_id} withdrawn")


def send_edit(
    ctx: typer.Context,
    entity: str,
    entity_id: int,
    api: Callable[[RegistryClient], LifecycleApi],
    update_type: type[BaseModel],
    fields: dict[str, Any],
    flags: dict[str, str],
    *,
    as_json: bool,
) -> None:
    """Send the fields the user gave (None = not given) as one update; ConfigError when none was given."""
    given = {key: value for key, value in fields.items() if value is not None}
    if not given:
        raise ConfigError(f"{entity} edit: nothing to change; give at least one of {', '.join(flags.values())}")
    payload = validated(update_type, given, source="the command line", flags=flags)
    with open_client(ctx) as client:
        row = api(client).update(entity_id, payload)
    print_entity(row, as_json=as_json, title=f"{entity} {entity_id} changed")


def add_rename_command(
    app: typer.Typer, entity: str, api: Callable[[RegistryClient], LifecycleApi], update_type: type[BaseModel]
) -> None:
    """Add `edit ID --name NAME` to `app`, for entities whose only editable field is their name."""

    @app.command("edit", help=f"Rename a {entity} in DEVELOPMENT; in OPERATION it is frozen (register a new one).")
    def edit(
        ctx: typer.Context,
        entity_id: Annotated[int, typer.Argument(metavar="ID", help=f"The {entity}'s id.")],
        name: Annotated[str | None, typer.Option("--name", help="The new name.")] = None,
        as_json: JsonFlag = False,
    ) -> None:
        send_edit(ctx, entity, entity_id, api, update_type, {"name": name}, {"name": "--name"}, as_json=as_json)
