"""The books' contents read from the database as plain data: the input of ``layouts/``.

One module per book (``markbook``, ``transcript``, ``register``, ``correction``): the frozen input
dataclasses the layouts build their documents from, and the read services that fill them. Every
reader takes the session and the actor first and checks the actor's read right
(``Action.RECORDS_READ`` on the class, the student, the school or the request) before it reads;
nothing here formats for print or paginates. ``owners`` gives the ids an edition of a book is
recorded under (school, class, student, school year).
"""
