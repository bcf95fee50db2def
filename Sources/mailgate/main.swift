import Gateway
print("mailgate")
