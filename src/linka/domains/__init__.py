"""One package per domain. `load_models()` imports every model so the metadata is complete."""


def load_models() -> None:
    from linka.core import history  # noqa: F401
    from linka.domains.accounts import models as _accounts  # noqa: F401
    from linka.domains.answers import models as _answers  # noqa: F401
    from linka.domains.chat import models as _chat  # noqa: F401
    from linka.domains.contacts import models as _contacts  # noqa: F401
    from linka.domains.fields import models as _fields  # noqa: F401
    from linka.domains.mail import models as _mail  # noqa: F401
    from linka.domains.tickets import draft_models as _drafts  # noqa: F401
    from linka.domains.tickets import models as _tickets  # noqa: F401
    from linka.domains.tickets import search_models as _search  # noqa: F401
    from linka.domains.tickets import thread_models as _thread  # noqa: F401
