"""Forms of next steps: adding one, and ticking it done or open again."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from ..forms import Form, LazyText, strip
from ..models import Project, User
from ..permissions import can_follow_up, is_mentor
from .queries import assignees


class NextStepForm(Form):
    title = StringField(
        _l("What is to be done"), filters=[strip],
        validators=[DataRequired(_l("Say what is to be done.")),
                    Length(max=200, message=LazyText(lambda: ngettext(
                        "At most %(num)d character.", "At most %(num)d characters.", 200)))],
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )
    due_on = DateField(
        _l("Due date"), validators=[InputRequired(_l("Choose the date it is due."))],
        invalid_value_message=_l("Enter a date, for example 2025-03-31."),
    )
    assignee_id = SelectField(
        _l("Assignee"), coerce=int,
        validators=[InputRequired(_l("Choose who does it."))],
    )

    @classmethod
    def for_project(cls, project: Project, user: User, people: list[User],
                    **kwargs) -> NextStepForm:
        """The form with the project's possible assignees (see queries.assignees), the
        current user chosen by default. Labels are built with gettext: plain text that
        the select escapes (a lazy string would pass the name through as markup)."""
        form = cls(**kwargs)
        holder_ids = {h.id for h in project.holders}
        choices = []
        for person in people:
            if person.id == project.advisor_id:
                label = _("%(name)s (advisor)", name=person.name)
            elif person.id in holder_ids:
                label = _("%(name)s (holder)", name=person.name)
            elif is_mentor(person):  # only the project's current mentors are offered
                label = _("%(name)s (mentor)", name=person.name)
            else:
                label = person.name
            choices.append((person.id, label))
        form.assignee_id.choices = choices
        if form.assignee_id.data is None and any(p.id == user.id for p in people):
            form.assignee_id.data = user.id
        return form

    def assignee(self, people: list[User]) -> User:
        return next(p for p in people if p.id == self.assignee_id.data)


class CheckForm(Form):
    """Mark done or reopen: only the CSRF token, and where the control was shown."""

    view = HiddenField()  # "mine" on the page of one's own steps, else the project page
    next = HiddenField()


def section_forms(user: User, project: Project) -> dict[str, NextStepForm | None]:
    """The section's form on the project page: a blank step for staff, else None."""
    if not can_follow_up(user, project):
        return {"next_step_form": None}
    return {"next_step_form": NextStepForm.for_project(project, user, assignees(project),
                                                       formdata=None)}
