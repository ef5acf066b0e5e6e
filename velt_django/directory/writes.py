"""The writes of the Django user directory (``users`` saved through the REST API or the
importer, GDPR deletes): model columns, velt_django's profile, memberships."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router, transaction

from ..conf import velt_settings
from ..exceptions import InvalidRecordError, VeltConfigurationError
from ..repository.users import UserWrite
from .fields import FULL_NAME, concrete_field, sql_errors

if TYPE_CHECKING:
    from ..models import VeltUserProfile

logger = logging.getLogger(__name__)


class DjangoUserWrites:
    """Writes of :class:`~velt_django.directory.DjangoUserDirectory`, which provides
    the model, the mapping and how ids are read (:meth:`_spec`, :meth:`_ids`)."""

    model: type[models.Model]
    mapping: Mapping[str, str | None]
    id_field: models.Field[Any, Any]
    id_lookup: str
    profile: type[VeltUserProfile] | None

    if TYPE_CHECKING:

        def _spec(self, key: str) -> str | None: ...

        def _ids(self, user_ids: Sequence[str]) -> list[Any]: ...

    def _split(self, user: UserWrite) -> tuple[dict[str, Any], dict[str, Any]]:
        """``user``'s fields as ``(model columns by User key, profile fields)``.

        Raises :class:`InvalidRecordError` naming the fields that can be stored
        nowhere (never their values)."""
        columns: dict[str, Any] = {}
        profile: dict[str, Any] = {}
        read_only: list[str] = []
        unmapped: list[str] = []
        for key, value in user.fields.items():
            if key == "userId":
                continue
            spec = self._spec(key)
            if not spec:
                if self.profile is not None:
                    profile[key] = value
                else:
                    unmapped.append(key)
            elif concrete_field(self.model, spec) is not None or (
                spec == FULL_NAME and concrete_field(self.model, "first_name")
            ):
                columns[key] = value
            else:
                read_only.append(key)
        problems: list[str] = []
        label = self.model._meta.label
        if unmapped:
            why = (
                'VELT["USER_PROFILE"] is off'
                if not velt_settings.USER_PROFILE
                else "velt_django's user profile extends AUTH_USER_MODEL only"
            )
            problems.append(
                f"user field(s) {', '.join(sorted(unmapped))} cannot be stored: "
                f'VELT["USER_FIELDS"] maps them to no field of {label} and {why}'
            )
        if read_only:
            problems.append(
                f"user field(s) {', '.join(sorted(read_only))} cannot be stored: "
                f'VELT["USER_FIELDS"] reads them from a method or callable of {label}'
            )
        if problems:
            raise InvalidRecordError("; ".join(problems))
        return columns, profile

    def validate(self, user: UserWrite) -> None:
        """Refuse a user with a field that can be stored nowhere (see :meth:`_split`)."""
        self._split(user)

    def _assign(self, instance: Any, columns: Mapping[str, Any]) -> None:
        for key, value in columns.items():
            spec = str(self.mapping[key])  # _split put only mapped keys here
            if spec == FULL_NAME and concrete_field(self.model, "first_name"):
                # Django's get_full_name() joins first and last name: split on the
                # first space so that reading it back gives the same text.
                first, _, last = str(value or "").strip().partition(" ")
                instance.first_name = first
                if concrete_field(self.model, "last_name"):
                    instance.last_name = last.strip()
            else:
                setattr(instance, spec, value if key == "isAdmin" else (value or ""))

    def _save_profile(self, instance: Any, fields: Mapping[str, Any]) -> None:
        """Lay ``fields`` over the stored profile of ``instance``; a ``None`` value
        removes its key, and a profile left empty is deleted."""
        if self.profile is None or not fields:
            return
        manager = self.profile._default_manager
        profile = manager.filter(user=instance).first()
        stored = profile.fields if profile is not None else {}
        merged = {
            key: value
            for key, value in {**stored, **fields}.items()
            if value is not None
        }
        if not merged:
            if profile is not None:
                profile.delete()
            return
        if profile is None:
            profile = self.profile(user=instance)
        profile.fields = merged
        try:
            profile.clean_fields(exclude=["user"])
        except ValidationError as err:
            raise InvalidRecordError("user fields cannot be stored as JSON") from err
        profile.save()

    def _add_organizations(self, instance: Any, organization_ids: list[str]) -> None:
        path = self.mapping.get("organizations")
        if not organization_ids or not path:
            # Without an organizations mapping the model keeps no memberships, so
            # there is nothing to store them in (and nothing to scope by).
            return
        relation, _, lookup = (path or "").partition("__")
        try:
            field = self.model._meta.get_field(relation)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.many_to_many or not lookup or "__" in lookup:
            raise VeltConfigurationError(
                'Storing organizations needs VELT["USER_FIELDS"]["organizations"] of the '
                'form "<many-to-many field>__<field>"'
            )
        related = field.related_model
        assert related is not None and not isinstance(related, str)
        for org in organization_ids:
            key: dict[str, Any] = {lookup: org}
            target, _ = related._default_manager.get_or_create(**key)
            getattr(instance, relation).add(target)

    def upsert(self, users: Sequence[UserWrite]) -> int:
        # Every user is checked before anything is written.
        splits = [self._split(user) for user in users]
        written = 0
        # The user model may live on another alias than "default" (a router's choice).
        using = router.db_for_write(self.model)
        with sql_errors("upsert users"), transaction.atomic(using=using):
            for user, (columns, profile_fields) in zip(users, splits, strict=True):
                values = self._ids([user.user_id])
                if not values:
                    raise InvalidRecordError("a userId does not fit the user id field")
                instance = self.model._default_manager.filter(
                    **{self.id_lookup: values[0]}
                ).first()
                if instance is None:
                    instance = self.model(**{self.id_field.attname: values[0]})
                    if hasattr(instance, "set_unusable_password"):
                        instance.set_unusable_password()
                self._assign(instance, columns)
                try:
                    instance.full_clean(validate_unique=False)
                except ValidationError as err:
                    raise InvalidRecordError(
                        f"user field(s) {', '.join(sorted(err.message_dict))} are invalid"
                    ) from err
                instance.save()
                self._save_profile(instance, profile_fields)
                self._add_organizations(instance, user.organization_ids)
                written += 1
        logger.info("users upserted=%d into %s", written, self.model._meta.label)
        return written

    def delete(self, user_ids: Sequence[str]) -> int:
        values = self._ids(user_ids)
        if not values:
            return 0
        queryset = self.model._default_manager.filter(
            **{f"{self.id_lookup}__in": values}
        )
        with sql_errors("delete users"):
            _, per_model = queryset.delete()
        # The total also counts rows of related tables (memberships): report users only.
        deleted = per_model.get(self.model._meta.label, 0)
        logger.info("users deleted=%d from %s", deleted, self.model._meta.label)
        return deleted
