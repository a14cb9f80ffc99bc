"""Legal eligibility rules of employment instruments, where they apply.

IGU (integrationsgrunduddannelse) has legal conditions (age 18 to 40 at the start, residence
status) that the caseworker judges and records as `CitizenProfile.igu_eligible`. The matcher
proposes IGU placements only when that judgement is `True`; unset or `False`, it proposes none.
Nothing here, and no ranking code, reads the audit fields (age band included).
"""

from __future__ import annotations

from shared.contracts import CitizenProfile, Opportunity


def legally_eligible(profile: CitizenProfile, opp: Opportunity) -> bool:
    if opp.placement_type == "igu":
        return profile.igu_eligible is True
    return True
