from ui.classroom import class_page

# One page for the teacher's projector (?room=CODE&teacher=KEY) and the students' phones (?room=CODE).
class_page()
