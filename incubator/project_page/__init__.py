"""The project page: a composer above the features it shows (the project's description and
people, notes, next steps, documents, the timeline).

``routes`` serves it (endpoint ``projects.show``, in the projects blueprint), ``queries``
reads every section and merges the timeline, ``forms`` builds the sections' blank forms.
"""
