"""``Member`` with a ``secret`` column, and the ``Team`` it belongs to (an organization)."""

from __future__ import annotations

from django.db import models


class Team(models.Model):
    slug = models.CharField(max_length=100, unique=True)


class Member(models.Model):
    member_id = models.CharField(max_length=100, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    avatar = models.CharField(max_length=500, blank=True)
    secret = models.CharField(max_length=200, blank=True)
    teams = models.ManyToManyField(Team, blank=True)


def avatar_url(member: Member) -> str:
    """A photo URL computed from the member (a dotted-callable mapping)."""
    return f"https://cdn.example.test/avatars/{member.member_id}.png"
