"""The demo's people: an admin, a benchmark owner, a model owner and one data owner per site, as profiles."""

from dataclasses import dataclass

from medperf.client import RegistryClient
from medperf.demo.layout import DemoLayout
from medperf.profiles import Profile, ProfileStore
from medperf.schemas import UserCreate
from medperf.server.admin import create_admin
from medperf.settings import ServerSettings

ADMIN_EMAIL = "admin@demo.local"
BENCHMARK_OWNER = "benchmark-owner"
MODEL_OWNER = "model-owner"


@dataclass
class DemoPeople:
    """A registry client per identity; data owners by site name."""

    admin: RegistryClient
    benchmark_owner: RegistryClient
    model_owner: RegistryClient
    data_owners: dict[str, RegistryClient]

    def close(self) -> None:
        """Close every client."""
        for client in (self.admin, self.benchmark_owner, self.model_owner, *self.data_owners.values()):
            client.close()


def create_people(layout: DemoLayout, registry_url: str, sites: tuple[str, ...]) -> DemoPeople:
    """Create the admin in the database, the others through the API; save each token as a profile.

    The committee's machine (<home>/central) holds admin, benchmark-owner (active) and model-owner; each
    site's machine (<home>/sites/<site>/home) holds only its data owner's profile, named after the site.
    """
    database = f"sqlite:///{layout.registry / 'registry.db'}"
    admin_token = create_admin(ServerSettings(database_url=database), ADMIN_EMAIL, "Demo admin")
    central = ProfileStore(layout.central)
    central.put("admin", Profile(server_url=registry_url, token=admin_token), activate=False)
    admin = RegistryClient(registry_url, admin_token)

    def new_user(email: str, name: str, store: ProfileStore, profile: str, activate: bool) -> RegistryClient:
        user = admin.users.create(UserCreate(email=email, name=name))
        token = admin.tokens.create(user.id).token
        store.put(profile, Profile(server_url=registry_url, token=token), activate=activate)
        return RegistryClient(registry_url, token)

    modeller = new_user("models@demo.local", "Model owner", central, MODEL_OWNER, False)
    owner = new_user("committee@demo.local", "Benchmark committee", central, BENCHMARK_OWNER, True)
    owners = {
        site: new_user(f"{site}@demo.local", f"Data owner of {site}", ProfileStore(layout.site(site).home), site, True)
        for site in sites
    }
    return DemoPeople(admin, owner, modeller, owners)
