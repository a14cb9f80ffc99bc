"""Legal eligibility rules of employment instruments, where they apply.

IGU (integrationsgrunduddannelse) is open to people aged 18 to 40 when they start. The profile
holds age only as an audit band, so this is the one place that reads it, and only for this legal
rule; an undisclosed or straddling band (40-49) is not eligible, so the rule is never broken.
Ranking code never reads it.
"""

from __future__ import annotations

from shared.contracts import CitizenProfile, Opportunity

IGU_AGE_BANDS = frozenset({"18-24", "25-29", "30-39"})


def legally_eligible(profile: CitizenProfile, opp: Opportunity) -> bool:
    if opp.placement_type == "igu":
        return profile.audit.age_band in IGU_AGE_BANDS
    return True
